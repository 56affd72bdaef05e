//! What one sentinel has seen of its group, and the decisions it takes from it (with
//! `rg-failover`'s rules).

use std::collections::BTreeMap;

use rg_failover::candidate::{self, Replica};
use rg_failover::election::Voter;
use rg_failover::health::Health;
use rg_failover::quorum::Opinions;
use rg_failover::Millis;
use rg_proto::messages::{Heartbeat, Role, SentinelOpinion};
use rg_proto::{Epoch, NodeId};

use crate::config::Settings;

struct NodeView {
    heartbeat: Heartbeat,
    heard_at: Millis,
    health: Health,
}

pub struct State {
    nodes: BTreeMap<NodeId, NodeView>,
    opinions: BTreeMap<NodeId, Opinions>,
    pub voter: Voter,
    highest_epoch: Epoch,
    next_attempt: Millis,
}

impl State {
    pub fn new(_now: Millis, last_vote: Option<(Epoch, NodeId)>) -> Self {
        let highest_epoch = last_vote.as_ref().map_or(Epoch(0), |(e, _)| *e);
        State {
            nodes: BTreeMap::new(),
            opinions: BTreeMap::new(),
            voter: Voter::restore(last_vote),
            highest_epoch,
            next_attempt: 0,
        }
    }

    pub fn highest_epoch(&self) -> Epoch {
        self.highest_epoch
    }

    pub fn saw_epoch(&mut self, epoch: Epoch) {
        self.highest_epoch = self.highest_epoch.max(epoch);
    }

    pub fn heartbeat(&mut self, heartbeat: Heartbeat, now: Millis) {
        self.saw_epoch(heartbeat.epoch);
        // A primary named by its replicas but never heard from (this sentinel started after
        // it died) is still watched: never hearing from it counts from now.
        if let (Role::Replica, Some(primary)) = (heartbeat.role, &heartbeat.primary) {
            if !self.nodes.contains_key(primary) {
                let mut placeholder = heartbeat.clone();
                placeholder.node = primary.clone();
                placeholder.role = Role::Primary;
                placeholder.address = String::new();
                placeholder.primary = None;
                self.nodes.insert(
                    primary.clone(),
                    NodeView {
                        heartbeat: placeholder,
                        heard_at: 0,
                        health: Health::new(now),
                    },
                );
            }
        }
        let node = heartbeat.node.clone();
        let view = self.nodes.entry(node).or_insert_with(|| NodeView {
            heartbeat: heartbeat.clone(),
            heard_at: now,
            health: Health::new(now),
        });
        view.heartbeat = heartbeat;
        view.heard_at = now;
        view.health.heartbeat(now);
    }

    pub fn ping_ok(&mut self, node: &NodeId, now: Millis) {
        if let Some(view) = self.nodes.get_mut(node) {
            view.health.ping_ok(now);
        }
    }

    pub fn opinion(&mut self, opinion: SentinelOpinion, now: Millis) {
        let opinions = self.opinions.entry(opinion.node).or_default();
        opinions.record(opinion.sentinel, opinion.down, now);
    }

    pub fn addresses(&self) -> Vec<(NodeId, String)> {
        self.nodes
            .iter()
            .map(|(id, view)| (id.clone(), view.heartbeat.address.clone()))
            .collect()
    }

    pub fn node_ids(&self) -> Vec<NodeId> {
        self.nodes.keys().cloned().collect()
    }

    /// The primary of the newest epoch (most recently heard among equals).
    fn current_primary(&self) -> Option<(&NodeId, &NodeView)> {
        self.nodes
            .iter()
            .filter(|(_, v)| v.heartbeat.role == Role::Primary)
            .max_by_key(|(_, v)| (v.heartbeat.epoch, v.heard_at))
    }

    /// This sentinel's own judgement of the current primary.
    pub fn opinion_of_primary(&self, settings: &Settings, now: Millis) -> Option<(NodeId, bool)> {
        let (id, view) = self.current_primary()?;
        Some((id.clone(), view.health.sdown(now, settings.down_after_ms)))
    }

    /// The primary to fail over from, and the epoch to go beyond, when it is objectively down
    /// and no attempt is pending.
    pub fn failover_due(&mut self, settings: &Settings, now: Millis) -> Option<(NodeId, Epoch)> {
        if now < self.next_attempt {
            return None;
        }
        let (id, _) = self.current_primary()?;
        let id = id.clone();
        let fresh_for = 3 * settings.heartbeat_ms.max(100);
        let odown = self
            .opinions
            .get(&id)
            .is_some_and(|o| o.odown(&settings.sentinels, settings.quorum, now, fresh_for));
        if !odown {
            if let Some(o) = self.opinions.get(&id) {
                tracing::trace!(primary = %id, opinions = ?o, "not objectively down");
            }
            return None;
        }
        self.next_attempt = now + settings.failover_timeout_ms;
        Some((id, self.highest_epoch))
    }

    pub fn failed_over(&mut self, epoch: Epoch) {
        self.saw_epoch(epoch);
    }

    /// The replica to promote in place of `old`.
    pub fn choose_replica(&self, old: &NodeId, settings: &Settings, now: Millis) -> Option<NodeId> {
        let replicas: Vec<Replica> = self
            .nodes
            .iter()
            .filter(|(id, v)| *id != old && v.heartbeat.role == Role::Replica)
            .map(|(id, v)| Replica {
                node: id.clone(),
                up: !v.health.sdown(now, settings.down_after_ms),
                priority: 100,
                offset: v.heartbeat.offset,
                disconnected_for: 0,
            })
            .collect();
        candidate::choose(&replicas, u64::MAX).map(|r| r.node.clone())
    }

    /// Nodes that are up but claim to be primary in an epoch older than the current
    /// primary's: (node, current primary, its epoch).
    pub fn stale_primaries(
        &self,
        settings: &Settings,
        now: Millis,
    ) -> Vec<(NodeId, NodeId, Epoch)> {
        let Some((primary, current)) = self.current_primary() else {
            return Vec::new();
        };
        if current.health.sdown(now, settings.down_after_ms) {
            return Vec::new();
        }
        let epoch = current.heartbeat.epoch;
        self.nodes
            .iter()
            .filter(|(id, v)| {
                *id != primary
                    && v.heartbeat.role == Role::Primary
                    && v.heartbeat.epoch < epoch
                    && !v.health.sdown(now, settings.down_after_ms)
            })
            .map(|(id, _)| (id.clone(), primary.clone(), epoch))
            .collect()
    }
}
