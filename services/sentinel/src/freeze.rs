//! Freezing the replicas for an automatic failover: each reports its final position and,
//! until it is promoted or re-pointed, applies no more of an older epoch's primary (the
//! node's side is `engine/replication/freeze.rs`). The leader promotes one that holds the
//! most, and thaws them all if the failover aborts, so they follow the primary still named
//! by the record at once rather than when the promise lapses.

use std::collections::BTreeMap;

use futures::future::join_all;
use rg_proto::messages::ControlCommand;
use rg_proto::{Epoch, NodeId, Position};

use crate::{now_ms, Sentinel};

/// How long after freezing the replicas a leader may still install the new record: well
/// within the ten seconds a node keeps its promise, so no replica can have gone back to the
/// old primary's stream by the time one is promoted.
const BUDGET_MS: u64 = 2_000;

/// The replicas that answered a freeze, at the positions they reported.
pub(crate) struct Frozen {
    pub positions: BTreeMap<NodeId, Position>,
    at: u64,
}

impl Frozen {
    /// Err once the promises are too old to rely on for a promotion.
    pub fn still_held(&self) -> Result<(), String> {
        if now_ms().saturating_sub(self.at) > BUDGET_MS {
            return Err(format!(
                "the replicas were frozen more than {BUDGET_MS} ms ago; their promise may \
                 lapse before the promotion"
            ));
        }
        Ok(())
    }
}

/// Freezes every member of the record but `old` in `epoch`, at once (a dead one costs one
/// timeout, not one per member); those that do not answer cannot be promoted now anyway.
pub(crate) async fn replicas(sentinel: &Sentinel, old: &NodeId, epoch: Epoch) -> Frozen {
    let at = now_ms();
    let members: Vec<NodeId> = sentinel
        .lock()
        .topology
        .as_ref()
        .map(|(record, _)| {
            record
                .members()
                .map(|m| m.node.clone())
                .filter(|node| node != old)
                .collect()
        })
        .unwrap_or_default();
    let requests = members
        .iter()
        .map(|node| sentinel.control(node, epoch, ControlCommand::Freeze));
    let replies = join_all(requests).await;
    let mut positions = BTreeMap::new();
    for (node, reply) in members.into_iter().zip(replies) {
        match reply {
            Ok(reply) => {
                positions.insert(node, Position::new(reply.repl_id, reply.offset));
            }
            Err(reason) => tracing::info!(%node, %reason, "not frozen: not a candidate"),
        }
    }
    tracing::info!(
        epoch = epoch.0,
        ?positions,
        "replicas frozen for the failover"
    );
    Frozen { positions, at }
}

/// Releases the replicas frozen for `epoch`'s failover, which did not happen.
pub(crate) async fn thaw(sentinel: &Sentinel, frozen: &Frozen, epoch: Epoch) {
    let requests = frozen
        .positions
        .keys()
        .map(|node| sentinel.control(node, epoch, ControlCommand::Thaw));
    for result in join_all(requests).await {
        if let Err(reason) = result {
            tracing::info!(%reason, "not thawed: its promise lapses on its own");
        }
    }
}
