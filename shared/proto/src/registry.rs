//! The group registry: one record per replication group in the `rg-groups` bucket, what an
//! operator declared with `rgctl create-replication-group` (the topology record says what
//! is true right now; this one says what was asked for).

use serde::{Deserialize, Serialize};

use crate::ids::{GroupId, NodeId};

pub const GROUPS_BUCKET: &str = "rg-groups";
/// The stream that keeps the public events for `describe-events`.
pub const EVENTS_STREAM: &str = "rg-events";
pub const PARAMETER_GROUPS_BUCKET: &str = "rg-parameter-groups";

/// The settings a parameter group may set: the nodes apply them live, as CONFIG SET would
/// (each node checks each value with the same rules as CONFIG SET).
pub const LIVE_PARAMETERS: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxclients",
    "timeout",
    "hz",
    "lfu-log-factor",
    "lfu-decay-time",
    "min-replicas-to-write",
    "min-replicas-max-lag",
    "min-replicas-max-lag-ms",
    "sync-replicas",
    "sync-timeout-ms",
    "proto-max-bulk-len",
    "notify-keyspace-events",
    "tracking-table-max-keys",
];

/// Named settings shared by groups (`rgctl create-cache-parameter-group`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterGroup {
    pub name: String,
    pub family: String,
    pub description: String,
    /// Parameter name (one of [`LIVE_PARAMETERS`]) to value.
    pub parameters: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRecord {
    pub id: GroupId,
    pub description: String,
    /// The primary asked for at creation, then the replicas.
    pub members: Vec<MemberSpec>,
    pub primary: NodeId,
    pub automatic_failover: bool,
    pub multi_az: bool,
    #[serde(default)]
    pub parameter_group: String,
    #[serde(default)]
    pub maintenance_window: String,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    pub status: GroupStatus,
    pub created_at_ms: u64,
    /// Nodes removed from the group: never added back to its topology.
    #[serde(default)]
    pub removed: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSpec {
    pub node: NodeId,
    #[serde(default)]
    pub az: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupStatus {
    Creating,
    Available,
    Modifying,
    Deleting,
    CreateFailed,
    Snapshotting,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Creating => "creating",
            GroupStatus::Available => "available",
            GroupStatus::Modifying => "modifying",
            GroupStatus::Deleting => "deleting",
            GroupStatus::CreateFailed => "create-failed",
            GroupStatus::Snapshotting => "snapshotting",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_statuses_read_like_the_managed_service() {
        let record = GroupRecord {
            id: GroupId::new("cache").unwrap(),
            description: "d".into(),
            members: vec![MemberSpec {
                node: NodeId::new("n1").unwrap(),
                az: "az-a".into(),
            }],
            primary: NodeId::new("n1").unwrap(),
            automatic_failover: true,
            multi_az: false,
            parameter_group: String::new(),
            maintenance_window: String::new(),
            tags: vec![("team".into(), "x".into())],
            status: GroupStatus::CreateFailed,
            created_at_ms: 1,
            removed: Vec::new(),
        };
        let bytes = crate::encode(&record).unwrap();
        assert_eq!(crate::decode::<GroupRecord>(&bytes).unwrap(), record);
        assert_eq!(GroupStatus::CreateFailed.as_str(), "create-failed");
    }
}
