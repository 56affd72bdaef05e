//! The topology record: one per group in the JetStream key/value bucket [`BUCKET`], under the
//! group's id. Sentinels change it only by compare-and-set on its revision, so of two
//! leaders only one can install its primary; routers and rgctl watch it.

use serde::{Deserialize, Serialize};

use crate::ids::{Epoch, GroupId, NodeId};

/// The bucket holding every group's topology record.
pub const BUCKET: &str = "rg-topology";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub group: GroupId,
    /// Bumped by every failover; nodes refuse control requests from older epochs.
    pub epoch: Epoch,
    pub primary: NodeId,
    /// Every member but the primary.
    pub replicas: Vec<Member>,
    /// The primary's own entry (AZ, address).
    pub primary_member: Member,
    /// When false, the sentinels watch and report but never fail over on their own.
    #[serde(default = "yes")]
    pub automatic_failover: bool,
    /// The sentinel that wrote this revision, and when (Unix ms).
    pub written_by: NodeId,
    pub written_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub node: NodeId,
    pub az: String,
    /// `host:port` where clients reach it.
    pub address: String,
}

fn yes() -> bool {
    true
}

impl Topology {
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        std::iter::once(&self.primary_member).chain(&self.replicas)
    }

    pub fn contains(&self, node: &NodeId) -> bool {
        self.members().any(|m| m.node == *node)
    }

    /// The record after `new` replaced the primary in `epoch`: every other member, the old
    /// primary included, is a replica of it.
    pub fn failed_over(&self, new: &NodeId, epoch: Epoch) -> Option<Topology> {
        // The primary itself may be chosen again, in a newer epoch (it restarted and no
        // replica was fit to take over).
        let promoted = self.members().find(|m| m.node == *new)?.clone();
        let mut replicas: Vec<Member> =
            self.members().filter(|m| m.node != *new).cloned().collect();
        replicas.sort_by(|a, b| a.node.cmp(&b.node));
        Some(Topology {
            epoch,
            primary: new.clone(),
            primary_member: promoted,
            replicas,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str) -> Member {
        Member {
            node: NodeId::new(name).unwrap(),
            az: format!("az-{name}"),
            address: format!("{name}:6379"),
        }
    }

    #[test]
    fn failing_over_swaps_the_primary_and_keeps_every_member() {
        let topology = Topology {
            group: GroupId::new("g").unwrap(),
            epoch: Epoch(1),
            primary: NodeId::new("a").unwrap(),
            primary_member: member("a"),
            replicas: vec![member("b"), member("c")],
            automatic_failover: true,
            written_by: NodeId::new("s1").unwrap(),
            written_at_ms: 0,
        };
        let after = topology
            .failed_over(&NodeId::new("c").unwrap(), Epoch(2))
            .unwrap();
        assert_eq!(after.primary.as_str(), "c");
        assert_eq!(after.primary_member, member("c"));
        assert_eq!(after.replicas, vec![member("a"), member("b")]);
        assert_eq!(after.epoch, Epoch(2));
        assert!(topology
            .failed_over(&NodeId::new("zz").unwrap(), Epoch(2))
            .is_none());
    }
}
