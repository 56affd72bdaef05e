//! What the drivers in `crate::replication` tell the replication state, each method named
//! for what happened on the bus: a heartbeat, an ack, a control request, a full sync. The
//! rules for what follows stay here, under the engine lock; the drivers only report.

use rg_proto::{Epoch, NodeId, Offset, Position, ReplId};

use super::{Backlog, Fence, ReplState, ReplicaState};
use crate::engine::keyspace::Millis;

/// A replica silent for this long is no longer counted (INFO, ROLE, WAIT).
const REPLICA_TIMEOUT: Millis = 5_000;

impl ReplState {
    /// The node joined the bus, announcing `address`, with a backlog of `backlog_size`
    /// bytes and `fence` watching its sentinels.
    pub fn enable(&mut self, address: String, backlog_size: usize, fence: Fence) {
        self.enabled = true;
        self.address = address;
        self.backlog = Backlog::new(backlog_size);
        self.fence = fence;
    }

    /// A peer's heartbeat: its address, and where it stands, which matters when it is the
    /// primary this node follows (see [`super::stream::Stall`]).
    pub fn heard_heartbeat(&mut self, node: NodeId, address: String, position: Position) {
        if self.follows(&node) {
            self.primary_position = Some((position.repl_id, position.offset));
        }
        self.peers.insert(node, address);
    }

    /// A sentinel of the set was heard from at `now` (fencing off the bus counts these).
    pub fn heard_sentinel(&mut self, sentinel: NodeId, now: Millis) {
        self.fence.last_seen.insert(sentinel, now);
    }

    /// Forgets the replicas that have not acked for a while at `now`.
    pub fn forget_silent_replicas(&mut self, now: Millis) {
        self.replicas
            .retain(|_, r| now.saturating_sub(r.last_ack) < REPLICA_TIMEOUT);
    }

    /// A replica acked `offset` of history `repl_id` at `now`. Only a primary keeps acks,
    /// and only in its current history; false when this one is not kept.
    pub fn replica_acked(
        &mut self,
        replica: NodeId,
        repl_id: &ReplId,
        offset: Offset,
        now: Millis,
    ) -> bool {
        if self.is_replica() || *repl_id != self.repl_id {
            return false;
        }
        let address = self.peers.get(&replica).cloned().unwrap_or_default();
        let state = ReplicaState {
            offset,
            last_ack: now,
            address,
        };
        self.replicas.insert(replica, state);
        true
    }

    /// The group's records name this node primary in `epoch` (it joined without
    /// `--replicaof`). `restarted` when the group has other members: they hold what this
    /// empty node lost, so it refuses writes until the sentinels hand over.
    pub fn adopt_lead(&mut self, epoch: Epoch, restarted: bool) {
        self.epoch = self.epoch.max(epoch);
        self.fence.led_since = epoch;
        if restarted {
            self.fence.restarted = true;
        }
    }

    /// The group's records name `primary` in `epoch`: this node follows it from `now`.
    pub fn adopt_primary(&mut self, epoch: Epoch, primary: NodeId, now: Millis) {
        self.epoch = self.epoch.max(epoch);
        self.follow(primary, now);
    }

    /// The node knows its role (the records answered, or it is off the bus): writes are no
    /// longer refused for want of one.
    pub fn adopting_ended(&mut self) {
        self.fence.adopting = false;
    }

    /// A control request of `epoch` changes this node's role; it was checked to be no
    /// older than [`ReplState::newest_epoch`].
    pub fn enter_epoch(&mut self, epoch: Epoch) {
        self.epoch = epoch;
    }

    /// A planned failover hands over: writes are refused until `until`.
    pub fn pause_writes(&mut self, until: Millis) {
        self.fence.paused_until = until;
    }

    /// The planned failover is over (done or given up): writes are taken again.
    pub fn resume_writes(&mut self) {
        self.fence.paused_until = 0;
    }

    /// This replica promised the failover leader of `epoch`, at `now`, to apply no older
    /// epoch's stream (see [`super::Freeze`]).
    pub fn freeze_for(&mut self, epoch: Epoch, now: Millis) {
        self.freeze.promise(epoch, now);
    }

    /// The leader of `epoch` gave up its failover and releases its promise.
    pub fn thaw(&mut self, epoch: Epoch) {
        self.freeze.thaw(epoch);
    }

    /// A full sync begins. From the snapshot's first FLUSHALL the dataset is partial: this
    /// node holds no position until the sync completes, so it is never promoted for an
    /// offset whose data it has lost (its heartbeats say 0) and a failed sync can only be
    /// retried whole, never resumed as a partial one.
    pub fn full_sync_started(&mut self) {
        self.syncing = true;
        self.reset_history(ReplId::none(), Offset(0));
    }

    /// The full sync loaded everything up to `offset` of history `repl_id`, at `now`.
    pub fn full_sync_ended(&mut self, repl_id: ReplId, offset: Offset, now: Millis) {
        self.reset_history(repl_id, offset);
        self.syncing = false;
        self.last_io = now;
    }

    /// The followed primary's bytes of history `repl_id` were allowed at `now` (by
    /// [`ReplState::stream_batch`] or [`ReplState::resync_page`]): the id is taken even when
    /// nothing is new, since a replica caught up with a newly promoted primary continues
    /// under its id (its acks carry it).
    pub fn took_history(&mut self, repl_id: &ReplId, now: Millis) {
        self.repl_id = repl_id.clone();
        self.last_io = now;
    }
}
