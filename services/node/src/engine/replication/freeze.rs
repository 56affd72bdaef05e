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

use rg_proto::Epoch;

use crate::engine::keyspace::Millis;

/// How long a promise holds without a role change.
pub const LAPSE: Millis = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freeze {
    promised: Option<(Epoch, Millis)>,
}

impl Freeze {
    /// Promises the leader of `epoch` at `now`; an older promise gives way to a newer one.
    pub fn promise(&mut self, epoch: Epoch, now: Millis) {
        if self.promised.is_none_or(|(e, _)| epoch >= e) {
            self.promised = Some((epoch, now));
        }
    }

    /// The leader of `epoch` releases its promise (its failover aborted); a newer
    /// leader's promise stands.
    pub fn thaw(&mut self, epoch: Epoch) {
        if self.promised.is_some_and(|(e, _)| e <= epoch) {
            self.promised = None;
        }
    }

    /// A promotion or re-point fulfils the promise.
    pub fn clear(&mut self) {
        self.promised = None;
    }

    /// The epoch promised, while the promise holds at `now`.
    pub fn epoch(&self, now: Millis) -> Option<Epoch> {
        self.promised
            .filter(|(_, at)| now < at.saturating_add(LAPSE))
            .map(|(epoch, _)| epoch)
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
    fn only_its_leader_thaws_a_promise_and_a_role_change_fulfils_it() {
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
            "an older leader cannot thaw it"
        );
        freeze.thaw(Epoch(6));
        assert!(!freeze.holds_back(Epoch(5), 200));
        freeze.promise(Epoch(7), 300);
        freeze.clear();
        assert!(!freeze.holds_back(Epoch(5), 300));
    }
}
