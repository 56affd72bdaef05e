//! Every subject rgroup uses, built in one place: `<prefix>.<group>.<...>`.

use crate::ids::{GroupId, NodeId};

/// The default subject prefix.
pub const DEFAULT_PREFIX: &str = "rg";

#[derive(Debug, Clone)]
pub struct Subjects {
    prefix: String,
    group: String,
    base: String,
}

impl Subjects {
    pub fn new(prefix: &str, group: &GroupId) -> Self {
        Subjects {
            prefix: prefix.to_string(),
            group: group.to_string(),
            base: format!("{prefix}.{group}"),
        }
    }

    /// `rg.<group>.heartbeat.<node>`: node to everyone.
    pub fn heartbeat(&self, node: &NodeId) -> String {
        format!("{}.heartbeat.{node}", self.base)
    }

    /// Every node's heartbeat.
    pub fn heartbeats(&self) -> String {
        format!("{}.heartbeat.*", self.base)
    }

    /// `rg.<group>.node.<node>.control`: request/reply to one node.
    pub fn control(&self, node: &NodeId) -> String {
        format!("{}.node.{node}.control", self.base)
    }

    /// `rg.<group>.repl.stream`: the primary's ordered batches of writes.
    pub fn repl_stream(&self) -> String {
        format!("{}.repl.stream", self.base)
    }

    /// `rg.<group>.repl.sync.<node>`: a replica's resync requests to the primary `node`.
    pub fn repl_sync(&self, primary: &NodeId) -> String {
        format!("{}.repl.sync.{primary}", self.base)
    }

    /// `rg.<group>.sentinel.heartbeat.<sentinel>`: a sentinel's liveness, which a primary
    /// needs from a majority of the sentinel set to keep accepting writes (fencing).
    pub fn sentinel_heartbeat(&self, sentinel: &NodeId) -> String {
        format!("{}.sentinel.heartbeat.{sentinel}", self.base)
    }

    pub fn sentinel_heartbeats(&self) -> String {
        format!("{}.sentinel.heartbeat.*", self.base)
    }

    /// `rg.<group>.sentinel.opinion.<sentinel>`: SDOWN opinions.
    pub fn sentinel_opinion(&self, sentinel: &NodeId) -> String {
        format!("{}.sentinel.opinion.{sentinel}", self.base)
    }

    pub fn sentinel_opinions(&self) -> String {
        format!("{}.sentinel.opinion.*", self.base)
    }

    /// `rg.<group>.sentinel.vote.<voter>`: vote requests to one sentinel (request/reply).
    pub fn sentinel_vote(&self, voter: &NodeId) -> String {
        format!("{}.sentinel.vote.{voter}", self.base)
    }

    /// `rg.<group>.sentinel.status.<sentinel>`: one sentinel's view (request/reply).
    pub fn sentinel_status(&self, sentinel: &NodeId) -> String {
        format!("{}.sentinel.status.{sentinel}", self.base)
    }

    /// `rg.<group>.sentinel.failover`: a planned failover, served by one sentinel of the set
    /// (a queue group).
    pub fn sentinel_failover(&self) -> String {
        format!("{}.sentinel.failover", self.base)
    }

    /// `rg.events.<group>.<name>`: the public event stream (JSON).
    pub fn event(&self, name: &str) -> String {
        format!("{}.events.{}.{name}", self.prefix, self.group)
    }

    /// `rg.<group>.repl.ack`: replicas' acknowledged offsets.
    pub fn repl_ack(&self) -> String {
        format!("{}.repl.ack", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_carry_prefix_and_group() {
        let group = GroupId::new("cache").unwrap();
        let node = NodeId::new("n1").unwrap();
        let subjects = Subjects::new(DEFAULT_PREFIX, &group);
        assert_eq!(subjects.heartbeat(&node), "rg.cache.heartbeat.n1");
        assert_eq!(subjects.repl_stream(), "rg.cache.repl.stream");
        assert_eq!(subjects.repl_sync(&node), "rg.cache.repl.sync.n1");
        assert_eq!(subjects.control(&node), "rg.cache.node.n1.control");
        assert_eq!(
            subjects.event("FailoverComplete"),
            "rg.events.cache.FailoverComplete"
        );
    }
}
