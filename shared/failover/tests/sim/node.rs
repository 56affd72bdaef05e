//! A model rg-node: its dataset is the sequence of write ids it holds, in a history (a
//! replication id, new at each promotion and restart, taken from the primary by a full
//! copy; a promoted node's continues the old one up to where it stood). It keeps the rules
//! the real node keeps for safety: a primary takes writes only while a majority of the
//! sentinels is in sight and no newer epoch names another primary; a frozen replica
//! applies no stream of an older epoch's primary; control requests of an older epoch
//! cannot change its role; a replica re-pointed or out of step takes a full copy; a node
//! keeps nothing across a crash, and one that comes back while the record still names it
//! primary takes no write and serves no copy until it is promoted again or re-pointed.

use std::collections::{BTreeMap, HashSet};

use rg_failover::Millis;
use rg_proto::messages::{ControlCommand, Heartbeat, Role, DEFAULT_PRIORITY};
use rg_proto::{Epoch, GroupId, NodeId, Offset, Position, ReplId};

/// How long a primary keeps taking writes without a majority of the sentinels in sight
/// (`fence-timeout-ms`).
pub const FENCE_TIMEOUT: Millis = 1_000;
/// How long a freeze promise holds without a promotion or re-point.
pub const FREEZE_LAPSE: Millis = 10_000;

pub struct Node {
    pub name: NodeId,
    pub role: Role,
    /// The newest epoch of a control request it took.
    pub epoch: Epoch,
    /// The epoch it leads in, as primary.
    pub led_since: Epoch,
    pub primary: Option<NodeId>,
    /// The history `data` belongs to, and the one it continues up to the switch.
    pub repl_id: ReplId,
    pub continues: Option<Position>,
    /// How many histories this node has started, so that each id is new.
    histories: u32,
    pub data: Vec<u64>,
    /// The writes in `data`, for membership checks.
    pub held: HashSet<u64>,
    /// Counts every time `data` lost writes (a full copy replaced it, a crash emptied it).
    pub generation: u64,
    pub up: bool,
    /// Came back empty while the record named it primary (rg-node's `fence.restarted`).
    pub restarted: bool,
    /// Writes are paused for a planned failover until then.
    paused_until: Millis,
    /// A replica holds a copy consistent with its primary's.
    pub synced: bool,
    sentinels_seen: BTreeMap<usize, Millis>,
    started: Millis,
    superseded: Option<Epoch>,
    /// Each failover leader's freeze promise: epoch -> when (as rg-node's `Freeze`).
    freeze: BTreeMap<Epoch, Millis>,
    /// The most each replica acknowledged of this primary's stream.
    acks: BTreeMap<usize, usize>,
    /// Client writes waiting for WAIT 1: (index, write id).
    waiting: Vec<(usize, u64)>,
    sentinels: usize,
}

/// What a node's handling of a message asks the world to do.
pub enum Effect {
    /// To every other node (the stream) or one (sync, acks).
    ToNodes(Msg),
    ToNode(NodeId, Msg),
    Reply(Msg),
    /// The client's WAIT 1 returned 1 for this write, at this primary epoch.
    Acknowledged {
        write: u64,
        epoch: Epoch,
    },
    /// Became primary in this epoch.
    Promoted(Epoch),
}

use super::msg::Msg;

impl Node {
    pub fn new(name: NodeId, primary: Option<NodeId>, sentinels: usize, now: Millis) -> Node {
        Node {
            role: if primary.is_none() {
                Role::Primary
            } else {
                Role::Replica
            },
            repl_id: history_id(&name, 1),
            continues: None,
            histories: 1,
            name,
            epoch: Epoch(1),
            led_since: Epoch(1),
            primary,
            data: Vec::new(),
            held: HashSet::new(),
            generation: 0,
            up: true,
            restarted: false,
            paused_until: 0,
            synced: false,
            sentinels_seen: BTreeMap::new(),
            started: now,
            superseded: None,
            freeze: BTreeMap::new(),
            acks: BTreeMap::new(),
            waiting: Vec::new(),
            sentinels,
        }
    }

    pub fn position(&self) -> Position {
        Position::new(self.repl_id.clone(), Offset(self.data.len() as u64))
    }

    /// Starts a new history (a promotion, a restart).
    fn new_history(&mut self) {
        self.histories += 1;
        self.repl_id = history_id(&self.name, self.histories);
        self.continues = None;
    }

    pub fn heartbeat(&self) -> Heartbeat {
        Heartbeat {
            group: GroupId::new("g").expect("a valid id"),
            node: self.name.clone(),
            role: self.role,
            epoch: self.epoch,
            repl_id: self.repl_id.clone(),
            offset: Offset(self.data.len() as u64),
            az: String::new(),
            address: format!("{}:6379", self.name),
            healthy: true,
            primary: self.primary.clone(),
            link_up: self.synced,
            link_down_ms: 0,
            priority: DEFAULT_PRIORITY,
            continues: self.continues.clone(),
            restarted: self.restarted,
        }
    }

    /// A crash: everything in memory is gone (rg-node keeps nothing on disk).
    pub fn crash(&mut self) {
        self.up = false;
        self.replace(Vec::new());
        self.waiting.clear();
    }

    /// Back on the bus; it reads the group's record (`record`) before anything else, as a
    /// node joining without `--replicaof` does.
    pub fn restart(&mut self, record: (Epoch, NodeId), others: bool, now: Millis) {
        let (epoch, primary) = record;
        let (generation, histories) = (self.generation + 1, self.histories);
        *self = Node::new(self.name.clone(), None, self.sentinels, now);
        self.generation = generation;
        self.histories = histories;
        self.new_history();
        self.epoch = epoch;
        self.led_since = epoch;
        if primary == self.name {
            self.restarted = others;
        } else {
            self.role = Role::Replica;
            self.primary = Some(primary);
        }
    }

    fn replace(&mut self, data: Vec<u64>) {
        self.held = data.iter().copied().collect();
        self.data = data;
        self.generation += 1;
    }

    fn push(&mut self, write: u64) {
        self.data.push(write);
        self.held.insert(write);
    }

    /// Whether a client write is taken now.
    pub fn takes_writes(&self, now: Millis) -> bool {
        let seen = self
            .sentinels_seen
            .values()
            .filter(|at| now.saturating_sub(**at) <= FENCE_TIMEOUT)
            .count();
        let in_sight = seen * 2 > self.sentinels
            || now.saturating_sub(self.started) <= FENCE_TIMEOUT && self.sentinels_seen.is_empty();
        self.role == Role::Primary
            && in_sight
            && self.superseded.is_none_or(|e| e <= self.led_since)
            && !self.restarted
            && now >= self.paused_until
    }

    /// Whether the stream of a primary leading `epoch` is refused (rg-node's
    /// `takes_stream_of`, negated): an older epoch than this node's, or one it promised a
    /// failover leader to hold back.
    fn holds_back(&self, epoch: Epoch, now: Millis) -> bool {
        epoch < self.epoch || self.holds_back_for_freeze(epoch, now)
    }

    fn holds_back_for_freeze(&self, epoch: Epoch, now: Millis) -> bool {
        self.freeze
            .iter()
            .any(|(promised, at)| epoch < *promised && now < at + FREEZE_LAPSE)
    }

    pub fn sentinel_beat(&mut self, sentinel: usize, record: Option<(Epoch, NodeId)>, now: Millis) {
        self.sentinels_seen.insert(sentinel, now);
        if let Some((epoch, primary)) = record {
            if primary != self.name && self.superseded.is_none_or(|e| epoch > e) {
                self.superseded = Some(epoch);
            }
        }
    }

    /// A client's write; `wait` when the client's WAIT 1 is sent to this node (rather than
    /// through the router). Returns the position just after it, if taken.
    pub fn write(
        &mut self,
        write: u64,
        wait: bool,
        now: Millis,
        out: &mut Vec<Effect>,
    ) -> Option<Position> {
        if !self.takes_writes(now) {
            return None;
        }
        let index = self.data.len();
        self.push(write);
        if wait {
            self.waiting.push((index, write));
        }
        out.push(Effect::ToNodes(Msg::Stream {
            epoch: self.led_since,
            repl_id: self.repl_id.clone(),
            index,
            write,
        }));
        Some(self.position())
    }

    /// A replica's stream or sync message from `from`.
    pub fn replicate(&mut self, from: &NodeId, msg: Msg, now: Millis, out: &mut Vec<Effect>) {
        if self.role != Role::Replica || self.primary.as_ref() != Some(from) {
            return;
        }
        match msg {
            Msg::Stream {
                epoch,
                repl_id,
                index,
                write,
            } => {
                if self.holds_back(epoch, now) || !self.synced {
                    return;
                }
                if repl_id != self.repl_id || index > self.data.len() {
                    self.synced = false; // another history, or a gap: take a full copy
                    return;
                }
                if index == self.data.len() {
                    self.push(write);
                }
                let position = self.position();
                out.push(Effect::ToNode(from.clone(), Msg::Ack { epoch, position }));
            }
            Msg::SyncReply {
                epoch,
                repl_id,
                continues,
                data,
            } => {
                if self.holds_back(epoch, now) || self.synced {
                    return;
                }
                self.replace(data);
                self.repl_id = repl_id;
                self.continues = continues;
                self.synced = true;
                let position = self.position();
                out.push(Effect::ToNode(from.clone(), Msg::Ack { epoch, position }));
            }
            _ => {}
        }
    }

    /// A primary's side: sync requests and acks from `from`.
    pub fn serve(&mut self, from: usize, msg: Msg, out: &mut Vec<Effect>) {
        if self.role != Role::Primary || self.restarted {
            return;
        }
        match msg {
            Msg::SyncRequest => out.push(Effect::Reply(Msg::SyncReply {
                epoch: self.led_since,
                repl_id: self.repl_id.clone(),
                continues: self.continues.clone(),
                data: self.data.clone(),
            })),
            // Acks count in this node's own history only, as rg-node keeps them.
            Msg::Ack { epoch, position }
                if epoch == self.led_since && position.repl_id == self.repl_id =>
            {
                let offset = position.offset.0 as usize;
                let acked = self.acks.entry(from).or_default();
                *acked = (*acked).max(offset.min(self.data.len()));
                let most = *acked;
                let epoch = self.led_since;
                self.waiting.retain(|(index, write)| {
                    let covered = *index < most;
                    if covered {
                        out.push(Effect::Acknowledged {
                            write: *write,
                            epoch,
                        });
                    }
                    !covered
                });
            }
            _ => {}
        }
    }

    pub fn control(
        &mut self,
        epoch: Epoch,
        command: ControlCommand,
        now: Millis,
        out: &mut Vec<Effect>,
    ) -> Result<Position, String> {
        let changes_role = matches!(
            command,
            ControlCommand::Promote | ControlCommand::ReplicateOf { .. }
        );
        let pauses = matches!(command, ControlCommand::PauseWrites { .. });
        if (changes_role || pauses) && epoch < self.epoch {
            return Err(format!("epoch {} is older than {}", epoch.0, self.epoch.0));
        }
        match command {
            ControlCommand::Promote => {
                if !(self.role == Role::Primary && self.led_since == epoch) {
                    out.push(Effect::Promoted(epoch));
                }
                if self.role == Role::Replica {
                    let switch = self.position();
                    self.new_history();
                    self.continues = Some(switch);
                }
                self.role = Role::Primary;
                self.led_since = epoch;
                self.primary = None;
                self.acks.clear();
                self.freeze.clear();
                self.restarted = false;
                self.paused_until = 0;
            }
            ControlCommand::ReplicateOf { primary } => {
                if primary == self.name {
                    return Err("cannot follow itself".into());
                }
                if self.primary.as_ref() != Some(&primary) || self.role == Role::Primary {
                    self.synced = false;
                }
                self.role = Role::Replica;
                self.primary = Some(primary);
                self.waiting.clear();
                self.freeze.clear();
                self.restarted = false;
                self.paused_until = 0;
            }
            ControlCommand::PauseWrites { for_ms } => self.paused_until = now + for_ms,
            ControlCommand::ResumeWrites => self.paused_until = 0,
            ControlCommand::Freeze if self.role == Role::Replica => {
                self.freeze.insert(epoch, now);
            }
            ControlCommand::Thaw => {
                self.freeze.remove(&epoch);
            }
            _ => {}
        }
        if changes_role {
            self.epoch = self.epoch.max(epoch);
        }
        Ok(self.position())
    }

    /// A replica out of step asks its primary for a full copy.
    pub fn tick(&self, out: &mut Vec<Effect>) {
        if let (Role::Replica, false, Some(primary)) = (self.role, self.synced, &self.primary) {
            out.push(Effect::ToNode(primary.clone(), Msg::SyncRequest));
        }
    }
}

/// A history id no other node or history of this node has: the node's number and a count.
fn history_id(node: &NodeId, count: u32) -> ReplId {
    let mut bytes = [0u8; 20];
    bytes[0] = super::sentinel::node_index(node) as u8 + 1;
    bytes[1..5].copy_from_slice(&count.to_be_bytes());
    ReplId::from_bytes(bytes)
}
