//! Who talks on the simulated bus, and what they say.

use rg_proto::messages::{ControlCommand, Heartbeat};
use rg_proto::topology::Topology;
use rg_proto::{Epoch, NodeId, Position, ReplId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    Sentinel(usize),
    Node(usize),
    Kv,
    /// The application's writer, on its own TCP connection to a node.
    Client,
    /// The router, counting the acks it hears on the bus for a client's WAIT.
    Router,
}

#[derive(Debug, Clone)]
pub enum Msg {
    NodeBeat(Heartbeat),
    /// A sentinel's liveness (fencing counts it) and the record it knows.
    SentinelBeat {
        epoch: Epoch,
        record: Option<(Epoch, NodeId)>,
    },
    Opinion {
        node: NodeId,
        down: bool,
    },
    VoteRequest {
        req: u64,
        epoch: Epoch,
    },
    VoteReply {
        req: u64,
        epoch: Epoch,
        granted: bool,
    },
    Control {
        req: u64,
        epoch: Epoch,
        command: ControlCommand,
    },
    ControlReply {
        req: u64,
        result: Result<Position, String>,
    },
    /// A read of the record: the sentinels' poll (`req` 0) or a failover's read-back.
    KvGet {
        req: u64,
    },
    KvRecord {
        req: u64,
        record: (Topology, u64),
    },
    KvUpdate {
        req: u64,
        record: Topology,
        expected: u64,
    },
    KvReply {
        req: u64,
        written: bool,
    },
    /// One write of a primary's stream: the primary's epoch and history, the write's
    /// index, its id.
    Stream {
        epoch: Epoch,
        repl_id: ReplId,
        index: usize,
        write: u64,
    },
    SyncRequest,
    SyncReply {
        epoch: Epoch,
        repl_id: ReplId,
        continues: Option<Position>,
        data: Vec<u64>,
    },
    /// A replica's ack, to its primary and to every listener on the bus (the router).
    Ack {
        epoch: Epoch,
        position: Position,
    },
    /// The client's SET, then WAIT 1.
    Write(u64),
}
