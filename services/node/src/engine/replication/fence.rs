//! Fencing: when a primary must refuse writes because the writes would be thrown away.
//!
//! - cut off from the bus: it has not seen a majority of its sentinel set for `timeout`;
//! - replaced: it heard (from a sentinel or a peer) of a newer epoch whose primary is
//!   another node; only a control request of that epoch or a newer one lifts it;
//! - restarted without its data while the group's record still names it: its replicas hold
//!   what it lost, so it waits for the sentinels to promote one of them (or itself again);
//! - still learning its role: a node that joins the bus without `--replicaof` asks the
//!   group's records who leads before it takes a write (it may be an old primary back);
//! - paused for a planned failover.

use std::collections::BTreeMap;

use rg_proto::{Epoch, NodeId};

use crate::engine::keyspace::Millis;

#[derive(Debug, Clone, Default)]
pub struct Fence {
    /// The configured sentinel set; empty means fencing off the bus is off.
    sentinels: Vec<NodeId>,
    /// 0 turns fencing off the bus off (trading safety for availability).
    timeout: Millis,
    /// When each sentinel was last heard from.
    pub(super) last_seen: BTreeMap<NodeId, Millis>,
    /// Counted from here when a sentinel has not been heard from yet.
    since: Millis,
    /// The epoch in which this node became (or was confirmed) the primary. Not the node's
    /// newest epoch: a planned failover's pause raises that on the old primary, which must
    /// still see the new primary's record of the same epoch as news.
    pub(super) led_since: Epoch,
    /// The newest epoch heard of whose primary is another node.
    superseded: Option<(Epoch, NodeId)>,
    /// Started empty while the record named this node primary: writes wait for the
    /// sentinels to promote it again or to re-point it.
    pub(super) restarted: bool,
    /// Joined the bus without `--replicaof` and has not yet read the group's records.
    pub(super) adopting: bool,
    /// Writes are refused until then: a planned failover is handing over to a replica.
    pub(super) paused_until: Millis,
}

/// Why a primary refuses writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    OffTheBus,
    Superseded,
    Restarted,
    Adopting,
    Paused,
}

impl Refusal {
    /// The error a client gets: READONLY, which clients take as "not the primary any more".
    pub fn message(self) -> &'static str {
        match self {
            Refusal::OffTheBus => {
                "READONLY You can't write against a fenced primary: it cannot see a majority \
                 of the sentinels, so another primary may have been elected"
            }
            Refusal::Superseded => {
                "READONLY You can't write against a fenced primary: the group moved to a \
                 newer epoch with another primary"
            }
            Refusal::Restarted => {
                "READONLY You can't write against a primary that restarted without its data: \
                 the sentinels are handing over to a replica that has it"
            }
            Refusal::Adopting => {
                "READONLY You can't write against a node that is still learning its role in \
                 the group; retry in a moment"
            }
            Refusal::Paused => {
                "READONLY You can't write against a primary that is handing over to a \
                 replica (planned failover); retry on the new primary"
            }
        }
    }
}

impl Fence {
    /// The fence of a node on the bus from `since`: it must see a majority of `sentinels`
    /// every `timeout`, and while `adopting` it waits for the group's records to say
    /// whether it leads.
    pub fn watching(
        sentinels: Vec<NodeId>,
        timeout: Millis,
        since: Millis,
        adopting: bool,
    ) -> Self {
        Fence {
            sentinels,
            timeout,
            since,
            adopting,
            ..Fence::default()
        }
    }

    /// True when the sentinels have been out of sight too long at `now`.
    pub fn off_the_bus(&self, now: Millis) -> bool {
        if self.sentinels.is_empty() || self.timeout == 0 {
            return false;
        }
        let seen = self
            .sentinels
            .iter()
            .filter(|s| {
                let last = self.last_seen.get(*s).copied().unwrap_or(self.since);
                now.saturating_sub(last) <= self.timeout
            })
            .count();
        seen * 2 <= self.sentinels.len()
    }

    /// Why a primary refuses writes at `now`, if it does: the fences that mean "another
    /// primary may exist" first.
    pub fn refusal(&self, now: Millis) -> Option<Refusal> {
        if self
            .superseded
            .as_ref()
            .is_some_and(|(e, _)| *e > self.led_since)
        {
            return Some(Refusal::Superseded);
        }
        if self.off_the_bus(now) {
            return Some(Refusal::OffTheBus);
        }
        if self.restarted {
            return Some(Refusal::Restarted);
        }
        if self.adopting {
            return Some(Refusal::Adopting);
        }
        (now < self.paused_until).then_some(Refusal::Paused)
    }

    /// The newest epoch this node knows of, from any source.
    pub fn newest(&self, epoch: Epoch) -> Epoch {
        self.superseded
            .as_ref()
            .map_or(epoch, |(e, _)| epoch.max(*e))
    }

    /// Word that `primary` leads the group in `epoch`. About another node, it is kept when
    /// it is the newest such word (never lowered, so only a promotion in a newer epoch lifts
    /// it); about this node, it confirms it as the primary of that epoch.
    pub fn heard_of(&mut self, epoch: Epoch, primary: &NodeId, me: &NodeId) {
        if primary == me {
            if !self.restarted {
                self.led_since = self.led_since.max(epoch);
            }
        } else if epoch > self.led_since && self.superseded.as_ref().is_none_or(|(e, _)| epoch > *e)
        {
            self.superseded = Some((epoch, primary.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> NodeId {
        NodeId::new(name).unwrap()
    }

    #[test]
    fn a_primary_needs_a_fresh_majority_of_its_sentinels() {
        let ids: Vec<NodeId> = ["s1", "s2", "s3"].into_iter().map(node).collect();
        let mut fence = Fence {
            sentinels: ids.clone(),
            timeout: 500,
            since: 1000,
            ..Fence::default()
        };
        assert!(!fence.off_the_bus(1400), "grace period after start");
        assert!(fence.off_the_bus(1600));
        fence.last_seen.insert(ids[0].clone(), 1600);
        assert!(fence.off_the_bus(1600), "one of three is not a majority");
        fence.last_seen.insert(ids[1].clone(), 1600);
        assert!(!fence.off_the_bus(1700));
        assert!(fence.off_the_bus(2200), "their heartbeats went stale");
        fence.timeout = 0;
        assert!(!fence.off_the_bus(9999), "0 turns fencing off");
    }

    #[test]
    fn word_of_a_newer_primary_fences_until_this_node_leads_a_newer_epoch() {
        let me = node("n1");
        let mut fence = Fence {
            led_since: Epoch(3),
            ..Fence::default()
        };
        assert_eq!(fence.refusal(0), None);
        fence.heard_of(Epoch(3), &node("n2"), &me);
        assert_eq!(
            fence.refusal(0),
            None,
            "not newer than this node's own lead"
        );
        fence.heard_of(Epoch(4), &node("n2"), &me);
        assert_eq!(fence.refusal(0), Some(Refusal::Superseded));
        // Older or equal word never lifts it, nor word naming this node in an older epoch.
        fence.heard_of(Epoch(2), &node("n3"), &me);
        fence.heard_of(Epoch(4), &node("n3"), &me);
        fence.heard_of(Epoch(3), &me, &me);
        assert_eq!(fence.superseded, Some((Epoch(4), node("n2"))));
        assert_eq!(fence.refusal(0), Some(Refusal::Superseded));
        assert_eq!(fence.newest(Epoch(3)), Epoch(4));
        // Promoted again in epoch 5.
        fence.heard_of(Epoch(5), &me, &me);
        assert_eq!(fence.refusal(0), None);
    }

    #[test]
    fn a_restarted_primary_waits_for_the_sentinels() {
        let mut fence = Fence {
            restarted: true,
            ..Fence::default()
        };
        assert_eq!(fence.refusal(0), Some(Refusal::Restarted));
        fence.restarted = false;
        assert_eq!(fence.refusal(0), None);
    }

    #[test]
    fn a_planned_failover_pauses_writes_for_a_bounded_time() {
        let fence = Fence {
            paused_until: 500,
            ..Fence::default()
        };
        assert_eq!(fence.refusal(499), Some(Refusal::Paused));
        assert_eq!(fence.refusal(500), None);
    }
}
