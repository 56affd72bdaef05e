//! A replica's promise to a failover leader: from the moment it reports its position, it
//! applies nothing more of a primary of an older epoch. The leader compares the replicas'
//! reported positions and promotes one holding the most; without the promise, another
//! replica could go on applying (and acknowledging) the old primary's stream after it was
//! compared, and writes acknowledged that way would be lost with the replica that held them.
//!
//! The promise lapses if no promotion or re-point follows within [`LAPSE`]: a leader that
//! died mid-failover must not leave the replicas refusing a primary that is in fact still
//! in charge. The leader gives up on a failover well before that (see the sentinel's
//! freeze budget), so a lapsed promise is one nobody relies on any more.

use std::collections::BTreeMap;

use rg_proto::Epoch;

use crate::engine::keyspace::Millis;

/// How long a promise holds without a role change.
pub const LAPSE: Millis = 10_000;
/// Promises kept at most: leaders of different epochs can overlap, but not many at once.
const KEPT: usize = 8;

/// Each leader's promise is its own: a leader of a newer epoch whose failover aborts thaws
/// only its promise, and an older leader still failing over keeps the one it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freeze {
    /// epoch -> when it was promised.
    promised: BTreeMap<Epoch, Millis>,
}

impl Freeze {
    /// Promises the leader of `epoch` at `now`.
    pub fn promise(&mut self, epoch: Epoch, now: Millis) {
        self.promised.retain(|_, at| now < at.saturating_add(LAPSE));
        self.promised.insert(epoch, now);
        while self.promised.len() > KEPT {
            self.promised.pop_first();
        }
    }

    /// The leader of `epoch` releases its promise (its failover aborted); the promises of
    /// other leaders stand.
    pub fn thaw(&mut self, epoch: Epoch) {
        self.promised.remove(&epoch);
    }

    /// A promotion or re-point fulfils every promise.
    pub fn clear(&mut self) {
        self.promised.clear();
    }

    /// The newest epoch promised, while its promise holds at `now`.
    pub fn epoch(&self, now: Millis) -> Option<Epoch> {
        self.promised
            .iter()
            .rev()
            .find(|(_, at)| now < at.saturating_add(LAPSE))
            .map(|(epoch, _)| *epoch)
    }

    /// True when the stream of a primary of `epoch` must not be applied at `now`.
    pub fn holds_back(&self, epoch: Epoch, now: Millis) -> bool {
        self.epoch(now).is_some_and(|promised| epoch < promised)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_promise_holds_back_older_epochs_until_it_lapses() {
        let mut freeze = Freeze::default();
        assert!(!freeze.holds_back(Epoch(1), 0));
        freeze.promise(Epoch(4), 1_000);
        assert!(freeze.holds_back(Epoch(3), 1_000));
        assert!(
            !freeze.holds_back(Epoch(4), 1_000),
            "the new leader's own epoch"
        );
        assert!(freeze.holds_back(Epoch(3), 1_000 + LAPSE - 1));
        assert!(!freeze.holds_back(Epoch(3), 1_000 + LAPSE), "lapsed");
    }

    #[test]
    fn each_leader_thaws_only_its_own_promise_and_a_role_change_fulfils_them() {
        let mut freeze = Freeze::default();
        freeze.promise(Epoch(5), 0);
        freeze.promise(Epoch(4), 100);
        assert_eq!(
            freeze.epoch(100),
            Some(Epoch(5)),
            "older promises do not lower it"
        );
        freeze.promise(Epoch(6), 200);
        assert!(freeze.holds_back(Epoch(5), 200));
        freeze.thaw(Epoch(5));
        assert!(
            freeze.holds_back(Epoch(5), 200),
            "an older leader cannot thaw a newer one's"
        );
        freeze.thaw(Epoch(6));
        assert!(!freeze.holds_back(Epoch(5), 200));
        assert!(
            freeze.holds_back(Epoch(3), 200),
            "epoch 4's leader still holds its promise"
        );
        freeze.promise(Epoch(7), 300);
        freeze.clear();
        assert!(!freeze.holds_back(Epoch(5), 300));
    }

    /// Found by the simulated network (rg-failover's tests/simulate.rs, seed 1632): the
    /// leaders of epochs 2 and 3 froze the same replica; 3's failover aborted and its thaw
    /// released 2's promise too, so the replica acknowledged the old primary's stream
    /// while 2's leader promoted another replica, and the write was lost.
    #[test]
    fn an_aborted_newer_leader_does_not_release_an_older_leaders_promise() {
        let mut freeze = Freeze::default();
        freeze.promise(Epoch(2), 0);
        freeze.promise(Epoch(3), 10);
        freeze.thaw(Epoch(3));
        assert!(freeze.holds_back(Epoch(1), 20));
        assert_eq!(freeze.epoch(20), Some(Epoch(2)));
    }
}
