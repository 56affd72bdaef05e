//! Where commands go: the primary and the replicas as the router last learned them, and
//! the choice of a replica for a read. A `Routes` value is replaced whenever the membership
//! or the primary changes; replicas' offsets, lag and health change in place (atomics), as
//! acks and heartbeats arrive many times a second.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use rg_proto::{Epoch, NodeId};

use crate::backend::Backend;
use crate::config::ReadPolicy;

pub struct Routes {
    pub epoch: Epoch,
    pub primary: Option<Arc<Backend>>,
    /// The primary has said so itself in this epoch (its heartbeat), so writes may go.
    pub confirmed: AtomicBool,
    pub replicas: Vec<Arc<ReplicaRoute>>,
}

impl Routes {
    pub fn new(
        epoch: Epoch,
        primary: Option<Arc<Backend>>,
        replicas: Vec<Arc<ReplicaRoute>>,
        confirmed: bool,
    ) -> Routes {
        Routes {
            epoch,
            primary,
            confirmed: AtomicBool::new(confirmed),
            replicas,
        }
    }

    pub fn empty() -> Routes {
        Routes::new(Epoch(0), None, Vec::new(), false)
    }

    pub fn is_confirmed(&self) -> bool {
        self.confirmed.load(Ordering::Relaxed)
    }

    /// The primary, if it is confirmed and the router is connected to it right now.
    pub fn usable_primary(&self) -> Option<&Arc<Backend>> {
        self.primary
            .as_ref()
            .filter(|b| self.is_confirmed() && b.is_up())
    }
}

pub struct ReplicaRoute {
    pub node: NodeId,
    pub az: String,
    pub backend: Arc<Backend>,
    /// The stream offset the replica last reported (acks and heartbeats), whatever its
    /// history: for lag and INFO only; what it holds is in [`rg_proto::Positions`].
    pub offset: AtomicU64,
    /// How far behind the primary it is, from the offsets' timing.
    pub lag_ms: AtomicU64,
    /// Heard recently, with its link to the primary up.
    pub healthy: AtomicBool,
    /// When its last heartbeat arrived (Unix ms).
    pub last_heard: AtomicU64,
}

impl ReplicaRoute {
    pub fn new(node: NodeId, az: String, backend: Arc<Backend>) -> ReplicaRoute {
        ReplicaRoute {
            node,
            az,
            backend,
            offset: AtomicU64::new(0),
            lag_ms: AtomicU64::new(u64::MAX),
            healthy: AtomicBool::new(false),
            last_heard: AtomicU64::new(0),
        }
    }

    /// May serve reads: healthy, connected, and no further behind than `max_lag_ms`.
    pub fn fit(&self, max_lag_ms: u64) -> bool {
        self.healthy.load(Ordering::Relaxed)
            && self.lag_ms.load(Ordering::Relaxed) <= max_lag_ms
            && self.backend.is_up()
    }

    pub fn offset(&self) -> u64 {
        self.offset.load(Ordering::Relaxed)
    }

    pub fn set_offset(&self, offset: u64) {
        self.offset.store(offset, Ordering::Relaxed);
    }
}

/// What the read choice needs to know of one replica.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'a> {
    pub az: &'a str,
    pub fit: bool,
    /// Holds the client's writes (read-your-writes); true when it has none.
    pub holds_writes: bool,
    pub outstanding: usize,
}

/// How reads are spread.
#[derive(Debug, Clone)]
pub struct ReadChoice<'a> {
    pub policy: ReadPolicy,
    /// Prefer replicas in this AZ when set.
    pub local_az: Option<&'a str>,
    /// A counter for round-robin.
    pub turn: usize,
}

impl ReadChoice<'_> {
    /// The index of the replica to read from among `count` candidates, or None (read from
    /// the primary). Allocation-free: it runs for every read.
    pub fn pick<'c>(
        &self,
        count: usize,
        candidate: impl Fn(usize) -> Candidate<'c>,
    ) -> Option<usize> {
        let eligible = |c: &Candidate<'_>| c.fit && c.holds_writes;
        let local = |c: &Candidate<'_>| self.local_az.is_some_and(|az| az == c.az);
        let any_local = self.local_az.is_some()
            && (0..count).any(|i| {
                let c = candidate(i);
                eligible(&c) && local(&c)
            });
        let in_pool = |c: &Candidate<'_>| eligible(c) && (!any_local || local(c));
        let least = match self.policy {
            ReadPolicy::RoundRobin => None,
            // Ties go round-robin, so an idle group still spreads its reads.
            ReadPolicy::LeastOutstanding => (0..count)
                .map(&candidate)
                .filter(|c| in_pool(c))
                .map(|c| c.outstanding)
                .min(),
        };
        let chosen = |c: &Candidate<'_>| in_pool(c) && least.is_none_or(|l| c.outstanding == l);
        let tied = (0..count).filter(|&i| chosen(&candidate(i))).count();
        if tied == 0 {
            return None;
        }
        (0..count)
            .filter(|&i| chosen(&candidate(i)))
            .nth(self.turn % tied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(az: &str, fit: bool, holds_writes: bool, outstanding: usize) -> Candidate<'_> {
        Candidate {
            az,
            fit,
            holds_writes,
            outstanding,
        }
    }

    fn choice(policy: ReadPolicy, local_az: Option<&str>, turn: usize) -> ReadChoice<'_> {
        ReadChoice {
            policy,
            local_az,
            turn,
        }
    }

    #[test]
    fn round_robin_visits_every_fit_replica() {
        let replicas = [
            candidate("a", true, true, 0),
            candidate("b", false, true, 0),
            candidate("c", true, true, 0),
        ];
        let picks: Vec<_> = (0..4)
            .map(|turn| choice(ReadPolicy::RoundRobin, None, turn).pick(3, |i| replicas[i].clone()))
            .collect();
        assert_eq!(picks, [Some(0), Some(2), Some(0), Some(2)]);
    }

    #[test]
    fn least_outstanding_prefers_the_idlest_and_the_local_az() {
        let replicas = [
            candidate("a", true, true, 5),
            candidate("b", true, true, 1),
            candidate("a", true, true, 2),
        ];
        let pick = |az, turn| {
            choice(ReadPolicy::LeastOutstanding, az, turn).pick(3, |i| replicas[i].clone())
        };
        assert_eq!(pick(None, 0), Some(1));
        assert_eq!(pick(Some("a"), 0), Some(2), "the local AZ first");
        assert_eq!(pick(Some("z"), 0), Some(1), "no local replica: any");
    }

    #[test]
    fn read_your_writes_skips_replicas_behind_the_write() {
        let behind = [
            candidate("a", true, false, 0),
            candidate("b", true, true, 0),
        ];
        let pick = |replicas: &[Candidate<'static>]| {
            choice(ReadPolicy::RoundRobin, Some("a"), 0).pick(2, |i| replicas[i].clone())
        };
        assert_eq!(
            pick(&behind),
            Some(1),
            "only b holds the writes, local or not"
        );
        let none = [
            candidate("a", true, false, 0),
            candidate("b", true, false, 0),
        ];
        assert_eq!(pick(&none), None, "nobody does: the primary");
    }
}
