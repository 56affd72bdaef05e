//! The public event stream: one JSON object per message on `<prefix>.events.<group>.<Name>`,
//! for users (`nats sub 'rg.events.>'`) rather than services, hence JSON and not MessagePack.
//! Names follow the managed service's events where one exists.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{Epoch, GroupId, NodeId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventName {
    /// A sentinel's own judgement of a node changed (details: `healthy`, `reason`).
    NodeHealthChanged,
    /// A quorum of sentinels holds the primary down (ODOWN).
    PrimaryDown,
    /// A sentinel won the election for an epoch and starts the failover.
    FailoverStarted,
    /// A planned failover (rgctl test-failover, modify --primary-cluster-id) was asked for.
    TestFailoverStarted,
    /// The chosen replica accepted the promotion.
    ReplicaPromoted,
    /// A replica was told to follow the new primary.
    ReplicaRepointed,
    /// The new topology is installed and every reachable replica re-pointed.
    FailoverComplete,
    /// A failover attempt stopped (no majority, no fit replica, lost the compare-and-set...).
    FailoverAborted,
    /// An old primary came back and now follows the current one.
    NodeRejoinedAsReplica,
    /// The topology record was first written for a group.
    TopologyCreated,
    /// A group registered with rgctl has its record and a primary up.
    CreateReplicationGroupComplete,
    /// An operator changed a group (rgctl modify-replication-group).
    ReplicationGroupModified,
    /// The group's parameter group changed; its nodes apply the new values.
    CacheClusterParametersChanged,
    /// A sentinel gave its vote for an epoch (details: `candidate`).
    VoteGranted,
    /// A sentinel won the election for an epoch (details: `votes`).
    LeaderElected,
    /// A primary stopped taking writes: it cannot see a majority of the sentinels, or they
    /// are in a newer epoch (published by the node once it can reach the bus again).
    NodeFenced,
    /// A fenced primary takes writes again.
    NodeUnfenced,
    /// A replica refused a full sync that would have thrown its data away: the primary's
    /// history is new and behind it (a primary that restarted empty). Published by the
    /// replica (details: `primary`, `offered`, `held`).
    FullSyncRefused,
    /// More replicas were declared (rgctl increase-replica-count).
    ReplicationGroupIncreaseReplicaCountStarted,
    /// Every declared member has joined the group.
    ReplicationGroupIncreaseReplicaCountFinished,
}

impl EventName {
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::NodeHealthChanged => "NodeHealthChanged",
            EventName::PrimaryDown => "PrimaryDown",
            EventName::FailoverStarted => "FailoverStarted",
            EventName::TestFailoverStarted => "TestFailoverStarted",
            EventName::ReplicaPromoted => "ReplicaPromoted",
            EventName::ReplicaRepointed => "ReplicaRepointed",
            EventName::FailoverComplete => "FailoverComplete",
            EventName::FailoverAborted => "FailoverAborted",
            EventName::NodeRejoinedAsReplica => "NodeRejoinedAsReplica",
            EventName::TopologyCreated => "TopologyCreated",
            EventName::CreateReplicationGroupComplete => "CreateReplicationGroupComplete",
            EventName::ReplicationGroupModified => "ReplicationGroupModified",
            EventName::CacheClusterParametersChanged => "CacheClusterParametersChanged",
            EventName::VoteGranted => "VoteGranted",
            EventName::LeaderElected => "LeaderElected",
            EventName::NodeFenced => "NodeFenced",
            EventName::NodeUnfenced => "NodeUnfenced",
            EventName::FullSyncRefused => "FullSyncRefused",
            EventName::ReplicationGroupIncreaseReplicaCountStarted => {
                "ReplicationGroupIncreaseReplicaCountStarted"
            }
            EventName::ReplicationGroupIncreaseReplicaCountFinished => {
                "ReplicationGroupIncreaseReplicaCountFinished"
            }
        }
    }
}

/// One event, self-describing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event: EventName,
    pub group: GroupId,
    /// The node the event is about, if any.
    pub node: Option<NodeId>,
    pub epoch: Epoch,
    /// RFC 3339, UTC, milliseconds.
    pub timestamp: String,
    /// The service that published it.
    pub source: NodeId,
    pub details: Map<String, Value>,
}

impl Event {
    pub fn to_json(&self) -> Vec<u8> {
        // A map of strings and numbers always serializes; the fallback keeps this total.
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_flat_json_objects_named_like_their_subject() {
        let mut details = Map::new();
        details.insert("from".into(), Value::from("n1"));
        let event = Event {
            event: EventName::FailoverComplete,
            group: GroupId::new("g").unwrap(),
            node: Some(NodeId::new("n2").unwrap()),
            epoch: Epoch(4),
            timestamp: "2026-11-26T06:00:00.000Z".into(),
            source: NodeId::new("s1").unwrap(),
            details,
        };
        let json: Value = serde_json::from_slice(&event.to_json()).unwrap();
        assert_eq!(json["event"], "FailoverComplete");
        assert_eq!(json["event"], EventName::FailoverComplete.as_str());
        assert_eq!(json["node"], "n2");
        assert_eq!(json["epoch"], 4);
        assert_eq!(json["details"]["from"], "n1");
    }
}
