//! What the rest of the node reads of the replication state (INFO, ROLE, heartbeats,
//! control replies): copies and shared references, never a way to change it.

use std::collections::BTreeMap;

use bytes::Bytes;
use rg_proto::{Epoch, NodeId, Offset, ReplId};

use super::{Backlog, ReplState, ReplicaState, Role};
use crate::engine::keyspace::Millis;

impl ReplState {
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Whether this node follows `primary` already (a repeated re-point is a no-op).
    pub fn follows(&self, primary: &NodeId) -> bool {
        matches!(&self.role, Role::Replica { primary: p, .. } if p == primary)
    }

    pub fn repl_id(&self) -> &ReplId {
        &self.repl_id
    }

    /// The previous history (`master_replid2`).
    pub fn repl_id2(&self) -> &ReplId {
        &self.repl_id2
    }

    /// The last offset of the previous history (`second_repl_offset`, less one).
    pub fn second_offset(&self) -> Option<Offset> {
        self.second_offset
    }

    pub fn offset(&self) -> Offset {
        self.offset
    }

    /// The newest epoch a control request (or the group's records) moved this node to.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// Changes on every role change, so a driver notices one it slept through.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the node is on the bus (a standalone node cannot change roles).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// This node's own client address, as announced.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// When a replica last heard from its primary.
    pub fn last_io(&self) -> Millis {
        self.last_io
    }

    /// Whether a full sync is loading (the dataset is partial).
    pub fn is_syncing(&self) -> bool {
        self.syncing
    }

    /// Whether this node started empty while the group's record named it primary.
    pub fn restarted(&self) -> bool {
        self.fence.restarted
    }

    /// Peers' client addresses (`host:port`), from their heartbeats.
    pub fn peers(&self) -> &BTreeMap<NodeId, String> {
        &self.peers
    }

    /// The replicas of this primary, from their acks.
    pub fn replicas(&self) -> impl ExactSizeIterator<Item = &ReplicaState> {
        self.replicas.values()
    }

    pub fn backlog(&self) -> &Backlog {
        &self.backlog
    }

    /// The stream from `offset` of history `repl_id`, when the backlog can serve it (a
    /// partial resync): this node's own history, or the one it continues up to the switch.
    pub fn backlog_since(&self, repl_id: &ReplId, offset: Offset) -> Option<Bytes> {
        let same_history = *repl_id == self.repl_id
            || (*repl_id == self.repl_id2 && self.second_offset.is_some_and(|end| offset <= end));
        same_history.then(|| self.backlog.since(offset)).flatten()
    }
}

impl ReplicaState {
    /// The offset the replica last acknowledged, in this primary's history.
    pub fn offset(&self) -> Offset {
        self.offset
    }

    pub fn last_ack(&self) -> Millis {
        self.last_ack
    }

    /// Its client address (`host:port`), empty when no heartbeat has said it yet.
    pub fn address(&self) -> &str {
        &self.address
    }
}
