//! Replication state that lives inside the engine, under its lock: the role, the history ids
//! and offsets (as Redis's PSYNC2 keeps them), the backlog, the stream bytes not yet
//! published, and what replicas have acknowledged. No networking here: the driver in
//! `crate::replication` moves these bytes over the bus.

mod backlog;
mod fence;
pub mod freeze;
mod reports;
pub mod snapshot;
#[cfg(test)]
#[path = "replication/snapshot_tests.rs"]
mod snapshot_tests;
pub mod stream;
#[cfg(test)]
mod tests;
mod view;

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use rand::RngCore;
use rg_proto::{Epoch, Lineage, NodeId, Offset, Position, ReplId};

pub use self::backlog::Backlog;
pub use self::fence::{Fence, Refusal};
pub use self::freeze::Freeze;
use super::keyspace::Millis;
use super::{Engine, Record};

/// What this node is in its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Primary,
    /// Follows `primary`; `link_up` once its stream is being applied.
    Replica {
        primary: NodeId,
        link_up: bool,
    },
}

/// A replica as its primary knows it, from its acks.
#[derive(Debug, Clone)]
pub struct ReplicaState {
    offset: Offset,
    last_ack: Millis,
    address: String,
}

#[derive(Debug)]
pub struct ReplState {
    role: Role,
    repl_id: ReplId,
    /// The previous history, and the last offset that belongs to it (PSYNC2).
    repl_id2: ReplId,
    second_offset: Option<Offset>,
    /// The stream position after the last byte produced (primary) or applied (replica).
    offset: Offset,
    backlog: Backlog,
    /// Stream pieces captured but not yet published (shared with the backlog), starting at
    /// `unpublished_from`.
    unpublished: Vec<Bytes>,
    unpublished_len: usize,
    unpublished_from: Offset,
    /// The database the stream's last command ran in, so a SELECT is inserted on change.
    stream_db: Option<usize>,
    replicas: BTreeMap<NodeId, ReplicaState>,
    /// Peers' client addresses (`host:port`) from heartbeats, for REPLICAOF host port.
    peers: BTreeMap<NodeId, String>,
    /// Bumped on every role change so the driver notices.
    generation: u64,
    /// The node is on the bus (standalone nodes cannot change roles).
    enabled: bool,
    /// This node's own client address, as announced.
    address: String,
    /// A replica's last message from its primary, and whether a full sync is running.
    last_io: Millis,
    syncing: bool,
    /// Since when a replica's link to its primary has been down (meaningless while up): a
    /// failover passes over replicas whose data stopped following long ago.
    link_down_since: Millis,
    /// The followed primary's history and offset from its latest heartbeat, so a replica
    /// notices a lost tail of the stream even when no later batch arrives.
    primary_position: Option<(ReplId, Offset)>,
    /// The newest topology epoch seen in a control request; older ones are refused.
    epoch: Epoch,
    fence: Fence,
    /// A replica's promise to a failover leader to apply no older epoch's stream.
    freeze: Freeze,
}

impl ReplState {
    pub fn new(backlog_size: usize) -> Self {
        ReplState {
            role: Role::Primary,
            repl_id: fresh_id(),
            repl_id2: ReplId::none(),
            second_offset: None,
            offset: Offset(0),
            backlog: Backlog::new(backlog_size),
            unpublished: Vec::new(),
            unpublished_len: 0,
            unpublished_from: Offset(0),
            stream_db: None,
            replicas: BTreeMap::new(),
            peers: BTreeMap::new(),
            generation: 0,
            enabled: false,
            address: String::new(),
            last_io: 0,
            syncing: false,
            link_down_since: 0,
            primary_position: None,
            epoch: Epoch(0),
            fence: Fence::default(),
            freeze: Freeze::default(),
        }
    }

    pub fn is_replica(&self) -> bool {
        matches!(self.role, Role::Replica { .. })
    }

    /// Becomes a primary, keeping the old history as the second one so that replicas of it
    /// continue with a partial resync (REPLICAOF NO ONE, promote).
    pub fn promote(&mut self) {
        self.freeze.clear();
        self.fence.paused_until = 0;
        self.fence.restarted = false;
        self.fence.led_since = self.fence.led_since.max(self.epoch);
        if !self.is_replica() {
            return;
        }
        self.repl_id2 = std::mem::replace(&mut self.repl_id, fresh_id());
        self.second_offset = Some(self.offset);
        self.role = Role::Primary;
        self.stream_db = None;
        self.unpublished.clear();
        self.unpublished_len = 0;
        self.unpublished_from = self.offset;
        self.generation += 1;
    }

    /// Becomes a replica of `primary` at `now`; the dataset stays until a sync replaces it.
    pub fn follow(&mut self, primary: NodeId, now: Millis) {
        // Data that was current until now (a primary's own, or a live link's) counts as
        // fresh from here; a link already down keeps its older start.
        if !matches!(self.role, Role::Replica { link_up: false, .. }) {
            self.link_down_since = now;
        }
        self.role = Role::Replica {
            primary,
            link_up: false,
        };
        self.fence.restarted = false;
        self.freeze.clear();
        self.primary_position = None;
        self.replicas.clear();
        self.generation += 1;
    }

    /// Appends stream bytes (produced here or received from the primary) to the backlog.
    pub fn append(&mut self, bytes: &[u8]) {
        if self.unpublished.is_empty() {
            self.unpublished_from = self.offset;
        }
        let chunk = Bytes::copy_from_slice(bytes);
        self.backlog.push(self.offset, chunk.clone());
        self.offset = self.offset.advance(bytes.len());
        if !self.is_replica() {
            self.unpublished_len += chunk.len();
            self.unpublished.push(chunk);
            // While the bus is down nothing is published; past the backlog's size the
            // unpublished bytes are dropped rather than grown without bound. Replicas see
            // the gap in the offsets and resync (fully, since the backlog no longer has it).
            if self.unpublished_len > self.backlog.capacity() {
                self.unpublished.clear();
                self.unpublished_len = 0;
            }
        }
    }

    pub fn has_unpublished(&self) -> bool {
        !self.unpublished.is_empty()
    }

    /// Takes what the driver must publish, with its start offset.
    pub fn take_unpublished(&mut self) -> Option<(Offset, Bytes)> {
        if self.unpublished.is_empty() {
            return None;
        }
        let from = self.unpublished_from;
        self.unpublished_from = self.offset;
        self.unpublished_len = 0;
        let pieces = std::mem::take(&mut self.unpublished);
        if let [single] = pieces.as_slice() {
            return Some((from, single.clone()));
        }
        let mut joined = BytesMut::with_capacity(pieces.iter().map(Bytes::len).sum());
        pieces
            .iter()
            .for_each(|piece| joined.extend_from_slice(piece));
        Some((from, joined.freeze()))
    }

    /// Starts a fresh history at `offset` (after a full sync from `repl_id`).
    fn reset_history(&mut self, repl_id: ReplId, offset: Offset) {
        self.repl_id = repl_id;
        self.repl_id2 = ReplId::none();
        self.second_offset = None;
        self.offset = offset;
        self.backlog.reset(offset);
        self.stream_db = None;
    }

    /// Makes the next stream command start with a SELECT (a snapshot's reader begins in db 0).
    fn forget_stream_db(&mut self) {
        self.stream_db = None;
    }

    /// Marks the replica's link up or down at `now`.
    pub fn set_link(&mut self, up: bool, now: Millis) {
        if let Role::Replica { link_up, .. } = &mut self.role {
            if *link_up && !up {
                self.link_down_since = now;
            }
            *link_up = up;
        }
    }

    /// How long a replica's link has been down; 0 while up or for a primary.
    pub fn link_down_for(&self, now: Millis) -> Millis {
        match self.role {
            Role::Replica { link_up: false, .. } => now.saturating_sub(self.link_down_since),
            _ => 0,
        }
    }

    /// Why this primary refuses writes at `now`, if it does (see [`Fence`]).
    pub fn refusal(&self, now: Millis) -> Option<Refusal> {
        if self.is_replica() {
            return None;
        }
        self.fence.refusal(now)
    }

    pub fn is_fenced(&self, now: Millis) -> bool {
        self.refusal(now).is_some_and(|r| r != Refusal::Paused)
    }

    /// The error a write gets at `now` on this primary, if it is refused.
    pub fn write_refusal(&self, now: Millis) -> Option<&'static str> {
        self.refusal(now).map(Refusal::message)
    }

    /// The record's primary and epoch, as a sentinel's heartbeat carries them: another node
    /// in an epoch newer than this primary's lead fences it at once; this node, named while
    /// it is a primary, is confirmed in that epoch.
    pub fn heard_of_primary(&mut self, epoch: Epoch, primary: &NodeId, me: &NodeId) {
        if primary == me && self.is_replica() {
            return; // a promotion is on its way; the control request will say so
        }
        self.fence.heard_of(epoch, primary, me);
        if primary == me && !self.fence.restarted {
            self.epoch = self.epoch.max(epoch);
        }
    }

    /// Whether a replica applies, at `now`, the stream of a primary that leads in `epoch`:
    /// not once a control request of a newer epoch has reached it, nor while it is frozen
    /// for a newer epoch's failover.
    pub fn takes_stream_of(&self, epoch: Epoch, now: Millis) -> bool {
        epoch >= self.epoch && !self.freeze.holds_back(epoch, now)
    }

    /// The newest epoch this node must not go back on at `now`: its own, word of a newer
    /// primary, a promise to a failover leader.
    pub fn newest_epoch(&self, now: Millis) -> Epoch {
        let newest = self.fence.newest(self.epoch);
        self.freeze.epoch(now).map_or(newest, |e| newest.max(e))
    }

    /// This node's current position: its history and offset.
    pub fn position(&self) -> Position {
        Position::new(self.repl_id.clone(), self.offset)
    }

    /// The history this node's own continues, up to the switch (PSYNC2's `replid2` and
    /// the last offset that belongs to it).
    pub fn continues(&self) -> Option<Position> {
        self.second_offset
            .map(|end| Position::new(self.repl_id2.clone(), end))
    }

    /// Replicas whose last ack holds `target`, by the router's rule ([`Lineage::holds`]).
    /// Acks are kept only in this node's current history, so a target in another history
    /// counts only up to where this one continues it, and a target from before a full
    /// resync or a restart counts nobody.
    pub fn replicas_at(&self, target: &Position) -> usize {
        let lineage = self.lineage();
        self.replicas
            .values()
            .filter(|r| lineage.holds(&Position::new(self.repl_id.clone(), r.offset), target))
            .count()
    }

    /// Which history continues which, as far as this node knows: only that its own
    /// continues its previous one (the router learns more, from every primary's heartbeat).
    fn lineage(&self) -> Lineage {
        let mut lineage = Lineage::default();
        if let Some(previous) = self.continues() {
            lineage.learn(&self.repl_id, previous);
        }
        lineage
    }
}

fn fresh_id() -> ReplId {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    ReplId::from_bytes(bytes)
}

/// Moves the engine's new write records into the replication stream as RESP commands,
/// inserting a SELECT where the database changes. Returns true if there is something to
/// publish.
pub fn capture(engine: &mut Engine) -> bool {
    let records = engine.take_records();
    // A replica's stream is its primary's, appended as received; its own records (from
    // applying that stream) are the same writes and are dropped.
    if records.is_empty() || engine.repl.is_replica() {
        return false;
    }
    let mut stream = BytesMut::new();
    for Record { db, args } in records {
        if engine.repl.stream_db != Some(db) {
            let db_text = db.to_string();
            write_command(&mut stream, &[b"SELECT", db_text.as_bytes()]);
            engine.repl.stream_db = Some(db);
        }
        let parts: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        write_command(&mut stream, &parts);
    }
    engine.repl.append(&stream);
    true
}

/// Writes one command as a RESP multibulk, as a client would send it.
pub fn write_command(out: &mut BytesMut, parts: &[&[u8]]) {
    rg_resp::encode::array_len(out, parts.len());
    for part in parts {
        rg_resp::encode::bulk(out, part);
    }
}
