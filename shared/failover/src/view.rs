//! What one sentinel has seen of its group, and the decisions it takes from it. No I/O
//! here: the sentinel's tasks feed it and act on what it answers.

use std::collections::BTreeMap;

use crate::candidate::{self, Replica};
use crate::election::{Vote, Voter};
use crate::health::Health;
use crate::quorum::Opinions;
use crate::{Millis, Rules};
use rg_proto::messages::{Heartbeat, NodeStatus, Role, SentinelOpinion, DEFAULT_PRIORITY};
use rg_proto::topology::{Member, Topology};
use rg_proto::{Epoch, NodeId, Position};

/// The KV revision of the topology record.
pub type Revision = u64;

struct NodeView {
    heartbeat: Heartbeat,
    health: Health,
    /// Heard from itself (not only named in the record or by its replicas).
    heard: bool,
    /// A primary that came back without its data: it says so, or its history changed to
    /// one that does not continue the one it had (it restarted before anyone noticed).
    restarted: bool,
    /// Since when it has been so: its replicas' links have been down since then, through
    /// no fault of theirs.
    restarted_since: Option<Millis>,
}

impl NodeView {
    fn new(heartbeat: Heartbeat, now: Millis, heard: bool) -> NodeView {
        NodeView {
            heartbeat,
            health: Health::new(now),
            heard,
            restarted: false,
            restarted_since: None,
        }
    }

    /// Why this sentinel holds the node down, if it does. A primary that restarted empty
    /// is down however alive it is: its replicas hold data it lost (Redis 7.2's
    /// `master-reboot-down-after-period` in spirit, with no period).
    fn down_reason(&self, now: Millis, down_after: Millis) -> Option<&'static str> {
        if self.restarted {
            return Some("restarted without its data (its replicas have it)");
        }
        self.health.down_reason(now, down_after)
    }

    fn sdown(&self, now: Millis, down_after: Millis) -> bool {
        self.down_reason(now, down_after).is_some()
    }

    /// Takes a new heartbeat from the node itself.
    fn heard_from(&mut self, heartbeat: Heartbeat, now: Millis) {
        let before = &self.heartbeat;
        let was_primary = self.heard && before.role == Role::Primary;
        let new_history = heartbeat.repl_id != before.repl_id
            && heartbeat
                .continues
                .as_ref()
                .is_none_or(|c| c.repl_id != before.repl_id);
        // A history change is seen once, so it is remembered, until the node is promoted
        // again in a newer epoch (with no fit replica, the sentinels re-promote it).
        let still = self.restarted && heartbeat.epoch <= before.epoch;
        self.restarted = heartbeat.role == Role::Primary
            && (heartbeat.restarted || (was_primary && new_history) || still);
        self.restarted_since = match (self.restarted, self.restarted_since) {
            (false, _) => None,
            (true, since) => Some(since.unwrap_or(now)),
        };
        self.heartbeat = heartbeat;
        self.heard = true;
        self.health.heartbeat(now);
    }
}

pub struct State {
    nodes: BTreeMap<NodeId, NodeView>,
    opinions: BTreeMap<NodeId, Opinions>,
    /// When each sentinel of the set was last heard from.
    sentinels_seen: BTreeMap<NodeId, Millis>,
    pub voter: Voter,
    highest_epoch: Epoch,
    next_attempt: Millis,
    /// The record and its revision, as last read or watched.
    pub topology: Option<(Topology, Revision)>,
    /// Whether the key/value bucket could be opened.
    pub store_ready: bool,
    /// The group's registry record (rgctl), if it was registered, and its revision.
    pub registry: Option<(rg_proto::registry::GroupRecord, Revision)>,
    /// The last failover's outcome, in words, for the status.
    pub last_outcome: String,
    /// This sentinel's last own judgement of each node (for NodeHealthChanged).
    judged_up: BTreeMap<NodeId, bool>,
    /// When the current record was first seen: nodes get a few heartbeats to report the
    /// change before they count as disagreeing with it.
    topology_seen_at: Millis,
    /// Nodes heard turning from primary into replica, for NodeRejoinedAsReplica.
    rejoined: Vec<NodeId>,
    /// The registry declared members the topology record lacks (increase-replica-count).
    awaiting_members: bool,
    /// A failover of this sentinel's is running: it owns the record and the nodes until it
    /// ends, so no other starts and the reconciler leaves them alone.
    failing_over: bool,
}

/// A node whose state disagrees with the record, and the control request that fixes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Correction {
    /// A replica (or an old primary) that does not follow the record's primary.
    Follow { node: NodeId, primary: NodeId },
    /// The record's primary still reports itself a replica of an older epoch: the promotion
    /// did not reach it.
    Promote { node: NodeId },
}

impl State {
    pub fn new(last_vote: Option<(Epoch, NodeId)>) -> Self {
        let highest_epoch = last_vote.as_ref().map_or(Epoch(0), |(e, _)| *e);
        State {
            nodes: BTreeMap::new(),
            opinions: BTreeMap::new(),
            sentinels_seen: BTreeMap::new(),
            voter: Voter::restore(last_vote),
            highest_epoch,
            next_attempt: 0,
            topology: None,
            store_ready: false,
            registry: None,
            last_outcome: "no failover yet".into(),
            judged_up: BTreeMap::new(),
            topology_seen_at: 0,
            rejoined: Vec::new(),
            awaiting_members: false,
            failing_over: false,
        }
    }

    pub fn highest_epoch(&self) -> Epoch {
        self.highest_epoch
    }

    pub fn saw_epoch(&mut self, epoch: Epoch) {
        self.highest_epoch = self.highest_epoch.max(epoch);
    }

    /// Votes for `candidate` in `epoch` if this sentinel may (one vote per epoch, never
    /// backwards). The driver persists a granted vote before it is sent.
    pub fn grant_vote(&mut self, candidate: &NodeId, epoch: Epoch) -> bool {
        let granted = self.voter.request(candidate, epoch) == Vote::Granted;
        self.saw_epoch(epoch);
        granted
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
                self.watch_unheard(placeholder, now);
            }
        }
        let view = self
            .nodes
            .entry(heartbeat.node.clone())
            .or_insert_with(|| NodeView::new(heartbeat.clone(), now, true));
        if view.heard && view.heartbeat.role == Role::Primary && heartbeat.role == Role::Replica {
            self.rejoined.push(heartbeat.node.clone());
        }
        view.heard_from(heartbeat, now);
    }

    /// Nodes heard turning from primary into replica since the last call.
    pub fn take_rejoined(&mut self) -> Vec<NodeId> {
        std::mem::take(&mut self.rejoined)
    }

    fn watch_unheard(&mut self, heartbeat: Heartbeat, now: Millis) {
        self.nodes
            .entry(heartbeat.node.clone())
            .or_insert_with(|| NodeView::new(heartbeat, now, false));
    }

    pub fn ping_ok(&mut self, node: &NodeId, now: Millis) {
        if let Some(view) = self.nodes.get_mut(node) {
            view.health.ping_ok(now);
        }
    }

    pub fn opinion(&mut self, opinion: SentinelOpinion, now: Millis) {
        self.sentinel_seen(&opinion.sentinel, now);
        let opinions = self.opinions.entry(opinion.node).or_default();
        opinions.record(opinion.sentinel, opinion.down, now);
    }

    pub fn sentinel_seen(&mut self, sentinel: &NodeId, now: Millis) {
        self.sentinels_seen.insert(sentinel.clone(), now);
    }

    /// Members of the sentinel set heard from recently, this one included.
    pub fn reachable_sentinels(&self, rules: &Rules, now: Millis) -> Vec<NodeId> {
        let fresh_for = self.fresh_for(rules);
        rules
            .sentinels
            .iter()
            .filter(|s| {
                **s == rules.id
                    || self
                        .sentinels_seen
                        .get(*s)
                        .is_some_and(|at| now.saturating_sub(*at) <= fresh_for)
            })
            .cloned()
            .collect()
    }

    /// The sentinel that keeps the record in line with the nodes (adds members, re-points
    /// strays): the first reachable member of the set, so that normally only one does it.
    pub fn is_reconciler(&self, rules: &Rules, now: Millis) -> bool {
        self.reachable_sentinels(rules, now).first() == Some(&rules.id)
    }

    fn fresh_for(&self, rules: &Rules) -> Millis {
        3 * rules.heartbeat_ms.max(100)
    }

    /// A new record or revision from the bucket.
    pub fn topology_changed(&mut self, topology: Topology, revision: Revision, now: Millis) {
        // The watch and the poll both deliver: only a newer revision counts.
        if self
            .topology
            .as_ref()
            .is_some_and(|(_, known)| revision <= *known)
        {
            return;
        }
        self.saw_epoch(topology.epoch);
        if self.topology.as_ref().map(|(_, r)| *r) != Some(revision) {
            self.topology_seen_at = now;
        }
        for member in topology.members() {
            let heartbeat = placeholder(&topology, member);
            self.watch_unheard(heartbeat, now);
            if let Some(view) = self.nodes.get_mut(&member.node) {
                if !view.heard {
                    view.heartbeat.address = member.address.clone();
                }
            }
        }
        self.topology = Some((topology, revision));
    }

    pub fn addresses(&self) -> Vec<(NodeId, String)> {
        self.nodes
            .iter()
            .map(|(id, view)| (id.clone(), view.heartbeat.address.clone()))
            .collect()
    }

    /// The primary: the record's, or before there is one, the newest heard.
    pub fn primary(&self) -> Option<NodeId> {
        if let Some((topology, _)) = &self.topology {
            return Some(topology.primary.clone());
        }
        // One heard from itself first; else one its replicas name (it may have died before
        // this sentinel started).
        self.nodes
            .iter()
            .filter(|(_, v)| v.heartbeat.role == Role::Primary)
            .max_by_key(|(_, v)| (v.heard, v.heartbeat.epoch, v.health.last_heartbeat()))
            .map(|(id, _)| id.clone())
    }

    /// Whether this sentinel holds `node` down (silent, or back without its data).
    pub fn down(&self, node: &NodeId, rules: &Rules, now: Millis) -> bool {
        self.nodes
            .get(node)
            .is_none_or(|v| v.sdown(now, rules.down_after_ms))
    }

    /// This sentinel's own judgement of the primary: (primary, subjectively down).
    pub fn opinion_of_primary(&self, rules: &Rules, now: Millis) -> Option<(NodeId, bool)> {
        let primary = self.primary()?;
        let down = self.down(&primary, rules, now);
        Some((primary, down))
    }

    /// Nodes whose health, as this sentinel judges it, changed since the last call:
    /// (node, up, reason when down).
    pub fn health_changes(
        &mut self,
        rules: &Rules,
        now: Millis,
    ) -> Vec<(NodeId, bool, Option<&'static str>)> {
        let mut changes = Vec::new();
        for (id, view) in &self.nodes {
            let reason = view.down_reason(now, rules.down_after_ms);
            let up = reason.is_none();
            let before = self.judged_up.insert(id.clone(), up);
            // A node first judged up is news only once it was heard; one never heard and
            // already down is news too (the record names it, but it is gone).
            if before != Some(up) && (before.is_some() || !up || view.heard) {
                changes.push((id.clone(), up, reason));
            }
        }
        changes
    }

    /// Sentinels of the set holding the primary down right now.
    pub fn primary_down_votes(&self, rules: &Rules, now: Millis) -> usize {
        let Some(primary) = self.primary() else {
            return 0;
        };
        let fresh_for = self.fresh_for(rules);
        rules
            .sentinels
            .iter()
            .filter(|s| {
                self.opinions
                    .get(&primary)
                    .is_some_and(|o| o.odown(std::slice::from_ref(*s), 1, now, fresh_for))
            })
            .count()
    }

    pub fn failing_over(&self) -> bool {
        self.failing_over
    }

    /// Marks a failover of this sentinel's as started (true) or ended (false); only
    /// [`crate::procedure::Failover`] calls this.
    pub(crate) fn set_failing_over(&mut self, running: bool) {
        self.failing_over = running;
    }

    /// Why no automatic failover starts now, or None when one is due.
    pub fn failover_blocker(&self, rules: &Rules, now: Millis) -> Option<String> {
        if self.failing_over {
            return Some("a failover of this sentinel's is in progress".into());
        }
        let Some((topology, _)) = &self.topology else {
            return Some(if self.store_ready {
                "no topology record yet (waiting to hear a primary)".into()
            } else {
                "the topology store (JetStream key/value) is not reachable".into()
            });
        };
        if !self.down(&topology.primary, rules, now) {
            return Some(format!("primary {} is up", topology.primary));
        }
        let votes = self.primary_down_votes(rules, now);
        if votes < rules.quorum {
            let reachable = self.reachable_sentinels(rules, now).len();
            return Some(format!(
                "primary {} is down for {votes} of {} sentinels, quorum is {} \
                 ({reachable} of {} sentinels reachable)",
                topology.primary,
                rules.sentinels.len(),
                rules.quorum,
                rules.sentinels.len()
            ));
        }
        let reachable = self.reachable_sentinels(rules, now).len();
        if reachable * 2 <= rules.sentinels.len() {
            return Some(format!(
                "only {reachable} of {} sentinels reachable: no majority to elect a leader",
                rules.sentinels.len()
            ));
        }
        if !topology.automatic_failover {
            return Some("automatic failover is disabled for this group".into());
        }
        if now < self.next_attempt {
            return Some(format!(
                "waiting {} ms before the next attempt (failover-timeout-ms)",
                self.next_attempt - now
            ));
        }
        None
    }

    /// The primary to fail over from and the epoch to go beyond, when it is objectively
    /// down, automatic failover is on and no attempt is pending.
    pub fn failover_due(&mut self, rules: &Rules, now: Millis) -> Option<(NodeId, Epoch)> {
        if self.failover_blocker(rules, now).is_some() {
            return None;
        }
        let primary = self.primary()?;
        self.next_attempt = now + rules.failover_timeout_ms;
        Some((primary, self.highest_epoch))
    }

    /// After a split vote (every candidate voted for itself, nobody won), or a failover
    /// that stopped short because a replica's frozen position was missing: the next
    /// attempt comes after `pause` rather than a whole failover timeout, as no leader is
    /// at work.
    pub fn retry_soon(&mut self, now: Millis, pause: Millis) {
        self.next_attempt = self.next_attempt.min(now + pause);
    }

    /// Holds automatic attempts back for a failover timeout (after a planned one starts).
    pub fn defer_attempts(&mut self, rules: &Rules, now: Millis) {
        self.next_attempt = now + rules.failover_timeout_ms;
    }

    /// The replica to promote in place of `old`: `target` if it is fit, else the best.
    /// With `frozen` (the positions replicas reported when frozen for this failover), only
    /// those replicas count, at those positions, and the most data comes first.
    pub fn choose_replica(
        &self,
        old: &NodeId,
        target: Option<&NodeId>,
        frozen: Option<&BTreeMap<NodeId, Position>>,
        rules: &Rules,
        now: Millis,
    ) -> Result<NodeId, String> {
        let mut replicas: Vec<Replica> = self
            .nodes
            .iter()
            .filter(|(id, v)| *id != old && v.heard && v.heartbeat.role == Role::Replica)
            .filter(|(id, _)| self.is_member(id))
            .filter(|(id, _)| frozen.is_none_or(|f| f.contains_key(*id)))
            .map(|(id, v)| Replica {
                node: id.clone(),
                up: !v.sdown(now, rules.down_after_ms),
                // An explicit choice overrides the preference (as Redis's FAILOVER TO does).
                priority: if target == Some(id) {
                    1
                } else {
                    v.heartbeat.priority
                },
                offset: frozen
                    .and_then(|f| f.get(id))
                    .map_or(v.heartbeat.offset, |p| p.offset),
                disconnected_for: v.heartbeat.link_down_ms,
            })
            .collect();
        // Redis Sentinel's rule: data older than ten down-after periods (plus the time the
        // primary has been down) is too old to promote.
        let max_disconnected = rules.down_after_ms * 10 + self.primary_down_for(old, now);
        if frozen.is_some() {
            // Frozen, with the primary gone: only the replicas holding the most may lead,
            // whatever the operator asked for, or acknowledged writes are lost.
            replicas = candidate::holding_most(&replicas, max_disconnected);
        }
        replicas.retain(|r| target.is_none_or(|t| r.node == *t));
        if let Some(chosen) = candidate::choose(&replicas, max_disconnected) {
            return Ok(chosen.node.clone());
        }
        // A primary that restarted empty, with no replica fit to take over and none holding
        // more than it, leads again in a newer epoch rather than leave the group without a
        // writable primary. (A replica with more data would refuse its full sync.)
        let alive = |v: &NodeView| v.restarted && !v.health.sdown(now, rules.down_after_ms);
        if let Some(view) = self.nodes.get(old).filter(|v| alive(v)) {
            let more = replicas.iter().any(|r| r.offset > view.heartbeat.offset);
            if target.is_none() && !more {
                return Ok(old.clone());
            }
        }
        Err(match target {
            Some(t) => format!("{t} is not an up-to-date replica of {old} that is up"),
            None => format!(
                "no replica of {old} is fit to promote (up, replica-priority above 0, \
                     link down less than {max_disconnected} ms)"
            ),
        })
    }

    /// How long the primary has been gone: silent, or back without its data.
    fn primary_down_for(&self, primary: &NodeId, now: Millis) -> Millis {
        self.nodes.get(primary).map_or(0, |v| {
            let restarted_for = v.restarted_since.map_or(0, |t| now.saturating_sub(t));
            v.health.heartbeat_age(now).max(restarted_for)
        })
    }

    fn is_member(&self, node: &NodeId) -> bool {
        self.topology.as_ref().is_none_or(|(t, _)| t.contains(node))
    }

    /// The record to create when there is none: the primary heard with the newest epoch,
    /// and the nodes that follow it.
    pub fn first_topology(&self, rules: &Rules, now: Millis) -> Option<Topology> {
        if self.topology.is_some() {
            return None;
        }
        // The primary the operator registered, when it is heard; else the newest heard.
        // Down or not: a primary that died before the record was written still needs one,
        // so that it can be failed over.
        let registered = self.registry.as_ref().map(|(r, _)| r.primary.clone());
        let primary = match registered.filter(|p| self.nodes.get(p).is_some_and(|v| v.heard)) {
            Some(registered) => registered,
            None if self.registry.is_some() => return None,
            None => self.primary()?,
        };
        let view = self.nodes.get(&primary)?;
        let replicas = self
            .nodes
            .values()
            .filter(|v| v.heard && v.heartbeat.primary.as_ref() == Some(&primary))
            .map(|v| member(&v.heartbeat))
            .collect();
        Some(Topology {
            group: rules.group.clone(),
            epoch: view.heartbeat.epoch,
            primary: primary.clone(),
            primary_member: member(&view.heartbeat),
            replicas,
            automatic_failover: true,
            written_by: rules.id.clone(),
            written_at_ms: now,
        })
    }

    /// The record with the nodes heard that are not in it yet (they join as replicas) and
    /// members' changed addresses, or None when it is already right.
    pub fn updated_topology(&self, rules: &Rules, now: Millis) -> Option<Topology> {
        let (topology, _) = self.topology.as_ref()?;
        let mut updated = topology.clone();
        let removed = |node: &NodeId| {
            self.registry
                .as_ref()
                .is_some_and(|(r, _)| r.removed.contains(node))
        };
        for view in self
            .nodes
            .values()
            .filter(|v| v.heard && !removed(&v.heartbeat.node))
        {
            if view.health.sdown(now, rules.down_after_ms) {
                continue;
            }
            let fresh = member(&view.heartbeat);
            if fresh.node == updated.primary {
                updated.primary_member = fresh;
            } else if let Some(known) = updated.replicas.iter_mut().find(|m| m.node == fresh.node) {
                *known = fresh;
            } else {
                updated.replicas.push(fresh);
            }
        }
        updated.replicas.sort_by(|a, b| a.node.cmp(&b.node));
        if updated == *topology {
            return None;
        }
        updated.written_by = rules.id.clone();
        updated.written_at_ms = now;
        Some(updated)
    }

    /// The registry record to mark available, when it is still `creating` and the group now
    /// has a record and a primary that is up.
    pub fn registry_ready(
        &self,
        rules: &Rules,
        now: Millis,
    ) -> Option<(rg_proto::registry::GroupRecord, Revision)> {
        let (record, revision) = self.registry.as_ref()?;
        if record.status != rg_proto::registry::GroupStatus::Creating {
            return None;
        }
        let (topology, _) = self.topology.as_ref()?;
        if self.down(&topology.primary, rules, now) {
            return None;
        }
        let mut ready = record.clone();
        ready.status = rg_proto::registry::GroupStatus::Available;
        Some((ready, *revision))
    }

    /// True once every member an available group's registry declares is in the topology
    /// record, after some were missing (ReplicationGroupIncreaseReplicaCountFinished).
    pub fn members_joined(&mut self) -> bool {
        let (Some((record, _)), Some((topology, _))) = (&self.registry, &self.topology) else {
            return false;
        };
        if record.status != rg_proto::registry::GroupStatus::Available {
            return false;
        }
        let missing = record.members.iter().any(|m| !topology.contains(&m.node));
        let joined = self.awaiting_members && !missing;
        self.awaiting_members = missing;
        joined
    }

    /// Nodes that are up but disagree with the record.
    pub fn corrections(&self, rules: &Rules, now: Millis) -> Vec<Correction> {
        let Some((topology, _)) = &self.topology else {
            return Vec::new();
        };
        if now.saturating_sub(self.topology_seen_at) < self.fresh_for(rules) {
            return Vec::new();
        }
        let primary = &topology.primary;
        let mut corrections = Vec::new();
        for (id, view) in self.nodes.iter().filter(|(_, v)| v.heard) {
            // Alive is what matters here: a primary back without its data is held down for
            // the failover, but it is there to be re-pointed (when the failover's own
            // re-point was lost, this is the only one it gets).
            if view.health.sdown(now, rules.down_after_ms) {
                continue;
            }
            let beat = &view.heartbeat;
            if id == primary {
                if beat.role == Role::Replica && beat.epoch < topology.epoch {
                    corrections.push(Correction::Promote { node: id.clone() });
                }
            } else if beat.role == Role::Primary || beat.primary.as_ref() != Some(primary) {
                corrections.push(Correction::Follow {
                    node: id.clone(),
                    primary: primary.clone(),
                });
            }
        }
        corrections
    }

    pub fn node_statuses(&self, rules: &Rules, now: Millis) -> Vec<NodeStatus> {
        self.nodes
            .iter()
            .map(|(id, v)| NodeStatus {
                node: id.clone(),
                role: v.heartbeat.role,
                epoch: v.heartbeat.epoch,
                az: v.heartbeat.az.clone(),
                address: v.heartbeat.address.clone(),
                offset: v.heartbeat.offset,
                up: !v.sdown(now, rules.down_after_ms),
                priority: v.heartbeat.priority,
                link_up: v.heartbeat.link_up,
                last_heard_ms: v.health.heartbeat_age(now),
            })
            .collect()
    }
}

fn member(heartbeat: &Heartbeat) -> Member {
    Member {
        node: heartbeat.node.clone(),
        az: heartbeat.az.clone(),
        address: heartbeat.address.clone(),
    }
}

/// A stand-in heartbeat for a member named by the record but not heard yet.
fn placeholder(topology: &Topology, member: &Member) -> Heartbeat {
    let is_primary = member.node == topology.primary;
    Heartbeat {
        group: topology.group.clone(),
        node: member.node.clone(),
        role: if is_primary {
            Role::Primary
        } else {
            Role::Replica
        },
        epoch: Epoch(0),
        repl_id: rg_proto::ReplId::none(),
        offset: rg_proto::Offset(0),
        az: member.az.clone(),
        address: member.address.clone(),
        healthy: false,
        primary: (!is_primary).then(|| topology.primary.clone()),
        link_up: false,
        link_down_ms: 0,
        priority: DEFAULT_PRIORITY,
        continues: None,
        restarted: false,
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
pub(crate) mod tests;
