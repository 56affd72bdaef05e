//! Where each node's data stands, as a listener on the bus learns it, for WAIT and
//! read-your-writes counted away from the primary (the router): the position (history and
//! offset) each node last acknowledged, and which history continues which. Pure: the
//! listener feeds it acks and heartbeats; the simulated network of `rg-failover` runs the
//! same code.
//!
//! A write is held by a node only when the node's acknowledged position covers the write's
//! position in the write's history (see [`crate::position`]), so after a failover the new
//! primary's replicas, whose offsets continue the old numbering, count for a write on the
//! old primary only up to where the new history took over.

use std::collections::HashMap;

use crate::messages::{Heartbeat, Role};
use crate::{Lineage, NodeId, Position};

/// A probe's answer: the position of the node that took a client's writes.
pub type Target = Position;

#[derive(Debug, Default)]
pub struct Positions {
    acked: HashMap<NodeId, Position>,
    lineage: Lineage,
}

impl Positions {
    /// A node's ack. Within one history positions only grow; an ack in another history
    /// replaces the old one (the node resynced, restarted or was re-pointed).
    pub fn acked(&mut self, node: &NodeId, position: Position) {
        match self.acked.get_mut(node) {
            Some(known) if known.repl_id == position.repl_id => {
                known.offset = known.offset.max(position.offset);
            }
            _ => {
                self.acked.insert(node.clone(), position);
            }
        }
    }

    /// A node's heartbeat: a primary says which history its own continues; a node whose
    /// history is no longer the one it acknowledged in holds nothing we know of.
    pub fn heard(&mut self, heartbeat: &Heartbeat) {
        if heartbeat.role == Role::Primary {
            if let Some(previous) = &heartbeat.continues {
                self.lineage.learn(&heartbeat.repl_id, previous.clone());
            }
        }
        if self
            .acked
            .get(&heartbeat.node)
            .is_some_and(|known| known.repl_id != heartbeat.repl_id)
        {
            self.acked.remove(&heartbeat.node);
        }
    }

    /// Whether `node`'s last acknowledgement holds `target`.
    pub fn holds(&self, node: &NodeId, target: &Target) -> bool {
        self.acked
            .get(node)
            .is_some_and(|position| self.lineage.holds(position, target))
    }

    /// How many of `nodes` hold `target`.
    pub fn count<'a>(&self, nodes: impl IntoIterator<Item = &'a NodeId>, target: &Target) -> usize {
        nodes
            .into_iter()
            .filter(|node| self.holds(node, target))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Epoch, GroupId, Offset, ReplId};

    fn node(name: &str) -> NodeId {
        NodeId::new(name).unwrap()
    }

    fn at(history: u8, offset: u64) -> Position {
        Position::new(ReplId::from_bytes([history; 20]), Offset(offset))
    }

    fn heartbeat(
        name: &str,
        role: Role,
        position: Position,
        continues: Option<Position>,
    ) -> Heartbeat {
        Heartbeat {
            group: GroupId::new("g").unwrap(),
            node: node(name),
            role,
            epoch: Epoch(1),
            repl_id: position.repl_id,
            offset: position.offset,
            az: String::new(),
            address: String::new(),
            healthy: true,
            primary: None,
            link_up: true,
            link_down_ms: 0,
            priority: 100,
            continues,
            restarted: false,
        }
    }

    #[test]
    fn acks_in_one_history_only_grow() {
        let mut positions = Positions::default();
        positions.acked(&node("r1"), at(1, 500));
        positions.acked(&node("r1"), at(1, 400));
        assert!(positions.holds(&node("r1"), &at(1, 500)));
        assert!(!positions.holds(&node("r2"), &at(1, 1)), "never acked");
    }

    #[test]
    fn after_a_failover_the_new_history_counts_only_up_to_the_switch() {
        let mut positions = Positions::default();
        let replicas = [node("r2"), node("r3")];
        // The old primary (history 1) took a write at 1000 after its replicas had 900.
        positions.acked(&node("r2"), at(1, 900));
        positions.acked(&node("r3"), at(1, 900));
        let write = at(1, 1000);
        assert_eq!(positions.count(&replicas, &write), 0);
        // r2 is promoted (history 2 continues 1 up to 900) and r3 follows it far beyond.
        positions.heard(&heartbeat(
            "r2",
            Role::Primary,
            at(2, 900),
            Some(at(1, 900)),
        ));
        positions.acked(&node("r3"), at(2, 5000));
        assert_eq!(
            positions.count(&replicas, &write),
            0,
            "1000 is not in history 2"
        );
        assert_eq!(
            positions.count(&replicas, &at(1, 850)),
            1,
            "r3, through history 2"
        );
    }

    #[test]
    fn a_node_that_changed_history_forgets_what_it_acked() {
        let mut positions = Positions::default();
        positions.acked(&node("n1"), at(1, 5000));
        // It restarted empty (or full-synced): its heartbeat shows another history.
        positions.heard(&heartbeat("n1", Role::Replica, at(3, 0), None));
        assert!(!positions.holds(&node("n1"), &at(1, 10)));
    }
}
