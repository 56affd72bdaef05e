//! What a sentinel decides, as pure functions of what it has seen and the time it is given:
//! no tokio, no NATS, no clock, so every rule is tested in virtual time.
//!
//! - [`health`]: one sentinel's own judgement of a node (subjectively down, SDOWN) from
//!   heartbeat freshness and active pings.
//! - [`quorum`]: the primary is objectively down (ODOWN) when `quorum` sentinels of the
//!   known set hold it SDOWN at the same time.
//! - [`election`]: one vote per sentinel per epoch; a candidate leads with a majority of the
//!   known sentinel set, never of "whoever answered".
//! - [`candidate`]: which replica to promote.
//! - [`procedure`]: one failover, from the election to the last re-point.
//! - [`view`]: what one sentinel has seen of its group, and what it decides from that.
//! - [`reconcile`]: the reconciler's round: the record created and extended, nodes that
//!   disagree with it put in line.
//!
//! Millisecond timestamps are plain `u64`s the driver reads from its clock.

pub mod candidate;
pub mod election;
pub mod health;
pub mod procedure;
pub mod quorum;
pub mod reconcile;
pub mod view;

use rg_proto::events::EventName;
use rg_proto::{Epoch, GroupId, NodeId};
use serde_json::Value;

/// Milliseconds, from whatever clock the driver uses.
pub type Millis = u64;

/// What a sentinel's decisions depend on, from its settings.
#[derive(Debug, Clone)]
pub struct Rules {
    /// This sentinel, one of `sentinels`.
    pub id: NodeId,
    pub group: GroupId,
    /// The whole sentinel set: majorities are counted over it.
    pub sentinels: Vec<NodeId>,
    /// Sentinels that must hold the primary down at once for a failover.
    pub quorum: usize,
    pub down_after_ms: Millis,
    /// How long a failover may take, and the pause before the next attempt.
    pub failover_timeout_ms: Millis,
    pub heartbeat_ms: Millis,
}

/// A public event to publish (`<prefix>.events.<group>.<name>`); the driver adds the
/// group, the source and the time.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicEvent {
    pub name: EventName,
    pub node: Option<NodeId>,
    pub epoch: Epoch,
    pub details: Value,
}
