//! The reconciler's round, decided: create the record when the first primary is heard,
//! extend it as nodes join, mark the registered group available, and send nodes that
//! disagree with the record (an old primary back from the dead, a replica that missed a
//! re-point) the control request that puts them in line. The driver carries out the
//! [`Chore`]s in order and feeds written records back into the view.

use rg_proto::events::EventName;
use rg_proto::messages::ControlCommand;
use rg_proto::registry::GroupRecord;
use rg_proto::topology::Topology;
use rg_proto::{Epoch, NodeId};
use serde_json::json;

use crate::view::{Correction, Revision, State};
use crate::{Millis, PublicEvent, Rules};

/// What the driver does for one round, in this order.
#[derive(Debug, Clone, PartialEq)]
pub enum Chore {
    Publish(PublicEvent),
    /// Write `record` over revision `expected` (None: create it), then publish `then` if
    /// it was written. Losing the compare-and-set is no error: the watch brings the
    /// winner's record.
    Write {
        record: Topology,
        expected: Option<Revision>,
        then: Option<PublicEvent>,
    },
    /// Write the registry record over `revision`, then publish `then` if it was written.
    MarkAvailable {
        record: GroupRecord,
        revision: Revision,
        then: PublicEvent,
    },
    /// Send `command` to `node`; its answer changes nothing here (the node's next
    /// heartbeat shows whether it took it).
    Control {
        node: NodeId,
        epoch: Epoch,
        command: ControlCommand,
    },
}

/// One round of the sentinel that reconciles (the lowest-named one reachable); the others
/// only drain what they noticed.
pub fn round(view: &mut State, rules: &Rules, now: Millis) -> Vec<Chore> {
    let rejoined = view.take_rejoined();
    if !view.store_ready || !view.is_reconciler(rules, now) {
        return Vec::new();
    }
    let epoch = view.topology.as_ref().map(|(t, _)| t.epoch);
    let event = |name, node: Option<&NodeId>, details| PublicEvent {
        name,
        node: node.cloned(),
        epoch: epoch.unwrap_or_default(),
        details,
    };
    let mut chores = Vec::new();
    if view.members_joined() {
        let joined = event(
            EventName::ReplicationGroupIncreaseReplicaCountFinished,
            None,
            json!({}),
        );
        chores.push(Chore::Publish(joined));
    }
    if let Some((record, revision)) = view.registry_ready(rules, now) {
        let then = event(
            EventName::CreateReplicationGroupComplete,
            None,
            json!({ "primary": record.primary }),
        );
        chores.push(Chore::MarkAvailable {
            record,
            revision,
            then,
        });
    }
    if epoch.is_some() {
        for node in rejoined {
            let rejoined = event(EventName::NodeRejoinedAsReplica, Some(&node), json!({}));
            chores.push(Chore::Publish(rejoined));
        }
    }
    // A failover in progress owns the record and the nodes until it is done.
    if view.failing_over() {
        return chores;
    }
    if let Some(first) = view.first_topology(rules, now) {
        let members: Vec<String> = first.members().map(|m| m.node.to_string()).collect();
        let created = PublicEvent {
            name: EventName::TopologyCreated,
            node: Some(first.primary.clone()),
            epoch: first.epoch,
            details: json!({ "members": members }),
        };
        chores.push(Chore::Write {
            record: first,
            expected: None,
            then: Some(created),
        });
        return chores;
    }
    let Some((_, revision)) = &view.topology else {
        return chores;
    };
    if let Some(updated) = view.updated_topology(rules, now) {
        chores.push(Chore::Write {
            record: updated,
            expected: Some(*revision),
            then: None,
        });
    }
    let epoch = epoch.unwrap_or_default();
    for correction in view.corrections(rules, now) {
        let (node, command) = match correction {
            Correction::Follow { node, primary } => (node, ControlCommand::ReplicateOf { primary }),
            Correction::Promote { node } => (node, ControlCommand::Promote),
        };
        chores.push(Chore::Control {
            node,
            epoch,
            command,
        });
    }
    chores
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
