//! The messages on the bus. Payloads of the replication stream are RESP commands, the same
//! bytes a client would send, so a replica applies them with the same decoder and offsets
//! count stream bytes exactly as Redis's replication offsets do.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::ids::{Epoch, GroupId, NodeId, Offset, ReplId};
use crate::position::Position;

/// The largest payload rgroup puts in one message, under NATS's default 1 MB max_payload
/// with room for the envelope.
pub const MAX_PAYLOAD: usize = 512 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Replica,
}

/// Published by every node every heartbeat interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub group: GroupId,
    pub node: NodeId,
    pub role: Role,
    pub epoch: Epoch,
    pub repl_id: ReplId,
    pub offset: Offset,
    pub az: String,
    /// `host:port` where clients reach this node.
    pub address: String,
    pub healthy: bool,
    /// For a replica, the primary it follows.
    #[serde(default)]
    pub primary: Option<NodeId>,
    /// For a replica, whether its link to the primary is up (Redis's master_link_status).
    #[serde(default)]
    pub link_up: bool,
    /// For a replica, how long its link has been down (0 while up): a failover skips
    /// replicas cut off from the old primary for too long, their data being too old.
    #[serde(default)]
    pub link_down_ms: u64,
    /// `replica-priority`: lower is promoted first, 0 never.
    #[serde(default = "default_priority")]
    pub priority: u32,
    /// For a primary, the history its own continues and up to where (PSYNC2's
    /// `master_replid2` and second offset): what lets others tell a promotion, whose
    /// history goes on, from a restart, whose history starts afresh.
    #[serde(default)]
    pub continues: Option<Position>,
    /// A primary that came back without its data while the group's record still named it:
    /// the sentinels treat it as down, whatever its liveness says, and promote a replica
    /// that has the data (or, when none is fit, this node again in a newer epoch).
    #[serde(default)]
    pub restarted: bool,
}

impl Heartbeat {
    pub fn position(&self) -> Position {
        Position::new(self.repl_id.clone(), self.offset)
    }
}

/// Redis's default `replica-priority`.
pub const DEFAULT_PRIORITY: u32 = 100;

fn default_priority() -> u32 {
    DEFAULT_PRIORITY
}

/// A run of the primary's write stream: `payload` starts at stream position `offset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplBatch {
    pub group: GroupId,
    pub primary: NodeId,
    pub epoch: Epoch,
    pub repl_id: ReplId,
    pub offset: Offset,
    pub payload: Bytes,
}

/// A replica's request to its primary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// Continue the history `repl_id` from `offset` (the next byte the replica needs).
    Resume {
        group: GroupId,
        replica: NodeId,
        repl_id: ReplId,
        offset: Offset,
    },
    /// One chunk of a full-sync snapshot; pulling chunk by chunk is the flow control.
    Chunk {
        group: GroupId,
        replica: NodeId,
        transfer: u64,
        index: u32,
    },
}

/// The primary's answer to a [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SyncReply {
    /// The backlog covers the request: `payload` is the stream from `offset` to the primary's
    /// current position; later batches follow on the stream subject.
    Partial {
        repl_id: ReplId,
        offset: Offset,
        payload: Bytes,
        /// The primary's epoch: a replica frozen for a newer epoch's failover applies none.
        #[serde(default)]
        epoch: Epoch,
    },
    /// A snapshot rebuilds the dataset as of stream position `offset` of history `repl_id`;
    /// the replica pulls the chunks of `transfer` until one says it is the last (`chunks` is
    /// 0 when the count is not known in advance), then follows the stream.
    Full {
        repl_id: ReplId,
        offset: Offset,
        transfer: u64,
        chunks: u32,
        /// The history the primary's own continues, and up to where: a replica refuses to
        /// throw its data away for a history that neither is nor continues its own and is
        /// behind it (a primary that restarted empty).
        #[serde(default)]
        continues: Option<Position>,
        #[serde(default)]
        epoch: Epoch,
    },
    Chunk {
        transfer: u64,
        index: u32,
        data: Bytes,
        #[serde(default)]
        last: bool,
    },
    /// Not served (not a primary, unknown transfer...), with the reason.
    Refused { reason: String },
}

/// A replica's applied offset, for WAIT and lag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub group: GroupId,
    pub replica: NodeId,
    pub repl_id: ReplId,
    pub offset: Offset,
}

impl Ack {
    pub fn position(&self) -> Position {
        Position::new(self.repl_id.clone(), self.offset)
    }
}

/// Published by every sentinel every heartbeat interval for each group it watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentinelHeartbeat {
    pub group: GroupId,
    pub sentinel: NodeId,
    /// The highest epoch this sentinel has seen (votes included).
    pub epoch: Epoch,
    /// The topology record's primary and epoch, as this sentinel last read them: a primary
    /// that hears of a newer epoch whose primary is another node stops taking writes at
    /// once, before any re-point reaches it. (Not `epoch`: an election that failed raises
    /// that without replacing anyone.)
    #[serde(default)]
    pub primary: Option<NodeId>,
    #[serde(default)]
    pub record_epoch: Epoch,
}

/// A sentinel's own judgement of a node, on `rg.<group>.sentinel.opinion.<sentinel>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentinelOpinion {
    pub group: GroupId,
    pub sentinel: NodeId,
    pub node: NodeId,
    pub down: bool,
}

/// A candidate's request for a vote, on `rg.<group>.sentinel.vote.<voter>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteRequest {
    pub group: GroupId,
    pub candidate: NodeId,
    pub epoch: Epoch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteReply {
    pub voter: NodeId,
    pub epoch: Epoch,
    pub granted: bool,
}

/// A request to one node on `rg.<group>.node.<node>.control`. Nodes refuse requests whose
/// epoch is older than the newest they have seen, so a stale leader cannot undo a newer
/// topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlRequest {
    pub group: GroupId,
    pub epoch: Epoch,
    pub command: ControlCommand,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ControlCommand {
    /// Become the primary (keeping the old history for the others' partial resync).
    Promote,
    /// Follow `primary`.
    ReplicateOf {
        primary: NodeId,
    },
    /// Report state without changing anything.
    Ping,
    /// A failover leader's request to a replica: report its position, and from now on
    /// apply no stream of a primary older than the request's epoch (until a promotion or
    /// re-point, or for at most a few seconds), so the position reported stays the most it
    /// holds (and acknowledges) of the old primary's history while the leader compares.
    Freeze,
    /// The failover the replica was frozen for did not happen: take the stream again.
    Thaw,
    /// Refuse writes for up to `for_ms` (a planned failover: the chosen replica catches up to
    /// the offset in the reply, then takes over). Lifted by `ResumeWrites`, by a role
    /// change, or when the time runs out, so a leader that dies mid-switchover cannot leave
    /// the group without a writable primary.
    PauseWrites {
        for_ms: u64,
    },
    ResumeWrites,
    /// Leave the group and stop serving (the node was removed: decrease-replica-count,
    /// delete-replication-group). The node answers, then exits as SHUTDOWN does.
    Retire,
}

/// A node's answer to a [`ControlRequest`]: its state after handling it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlReply {
    pub node: NodeId,
    pub accepted: bool,
    /// Why the request was refused, when it was.
    #[serde(default)]
    pub reason: Option<String>,
    pub role: Role,
    pub epoch: Epoch,
    pub repl_id: ReplId,
    pub offset: Offset,
}

/// An operator's request for a planned failover of a healthy group, on
/// `rg.<group>.sentinel.failover` (one sentinel of the set answers). `target` chooses the
/// replica to promote; None lets the sentinels choose as for an automatic failover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverRequest {
    pub group: GroupId,
    #[serde(default)]
    pub target: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverReply {
    pub accepted: bool,
    /// Why the failover did not happen, when it did not.
    #[serde(default)]
    pub reason: Option<String>,
    pub primary: Option<NodeId>,
    pub epoch: Epoch,
}

/// A sentinel's view of its group, the answer to a request on
/// `rg.<group>.sentinel.status.<sentinel>` (and what `SENTINEL` commands show over RESP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentinelStatus {
    pub sentinel: NodeId,
    pub group: GroupId,
    pub epoch: Epoch,
    pub primary: Option<NodeId>,
    pub quorum: usize,
    /// The whole sentinel set, and the members of it heard from recently (this one included).
    pub sentinels: Vec<NodeId>,
    pub reachable_sentinels: Vec<NodeId>,
    /// Sentinels currently holding the primary subjectively down.
    pub primary_down_votes: usize,
    pub automatic_failover: bool,
    /// Whether a failover is happening or could happen now, and if not, why not, in words.
    pub failover: String,
    pub nodes: Vec<NodeStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    pub node: NodeId,
    pub role: Role,
    pub epoch: Epoch,
    pub az: String,
    pub address: String,
    pub offset: Offset,
    /// This sentinel's own judgement (not subjectively down).
    pub up: bool,
    pub priority: u32,
    pub link_up: bool,
    /// Milliseconds since its last heartbeat.
    pub last_heard_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, encode};

    fn ids() -> (GroupId, NodeId) {
        (GroupId::new("g").unwrap(), NodeId::new("n1").unwrap())
    }

    #[test]
    fn messages_round_trip() {
        let (group, node) = ids();
        let batch = ReplBatch {
            group: group.clone(),
            primary: node.clone(),
            epoch: Epoch(3),
            repl_id: ReplId::from_bytes([1; 20]),
            offset: Offset(42),
            payload: Bytes::from_static(b"*1\r\n$4\r\nPING\r\n"),
        };
        assert_eq!(
            decode::<ReplBatch>(&encode(&batch).unwrap()).unwrap(),
            batch
        );
        let reply = SyncReply::Full {
            repl_id: ReplId::none(),
            offset: Offset(9),
            transfer: 7,
            chunks: 2,
            continues: Some(Position::new(ReplId::none(), Offset(4))),
            epoch: Epoch(3),
        };
        assert_eq!(
            decode::<SyncReply>(&encode(&reply).unwrap()).unwrap(),
            reply
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<Heartbeat>(b"\xc1\xff garbage").is_err());
        assert!(decode::<ReplBatch>(&[]).is_err());
        let (group, node) = ids();
        let ack = Ack {
            group,
            replica: node,
            repl_id: ReplId::none(),
            offset: Offset(1),
        };
        assert!(decode::<Heartbeat>(&encode(&ack).unwrap()).is_err());
    }
}
