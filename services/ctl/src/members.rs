//! Membership: decrease-replica-count (removed nodes leave and stop serving),
//! increase-replica-count (the registry declares more; the operator starts them), and
//! delete-replication-group.

use std::time::Duration;

use rg_bus::{Bus, BusErrorKind, Kv};
use rg_proto::events::EventName;
use rg_proto::messages::{ControlCommand, ControlReply, ControlRequest};
use rg_proto::registry::{GroupRecord, GroupStatus, MemberSpec, GROUPS_BUCKET};
use rg_proto::topology::{Topology, BUCKET};
use rg_proto::{GroupId, NodeId, Subjects};
use serde_json::json;

use crate::cli::{DecreaseReplicas, DeleteGroup, IncreaseReplicas};
use crate::failure::Failure;
use crate::modify::publish;
use crate::report::Report;

pub async fn decrease(bus: &Bus, prefix: &str, args: &DecreaseReplicas) -> Result<Report, Failure> {
    let group = group_id(&args.replication_group_id)?;
    let removed = args
        .replicas_to_remove
        .iter()
        .map(|n| NodeId::new(n).map_err(|e| Failure::usage(format!("--replicas-to-remove: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    // Checked before anything changes.
    let topology = crate::bucket(bus, BUCKET).await?;
    let Some((current, _)) = topology.get::<Topology>(group.as_str()).await? else {
        return Err(Failure::refused(format!(
            "ReplicationGroupNotFoundFault: {group} has no topology record"
        )));
    };
    check_removable(&current, &group, &removed)?;
    // The registry first: once a removed id is listed there, no sentinel adds it back to
    // the topology record while the node still runs.
    let registry = crate::bucket(bus, GROUPS_BUCKET).await?;
    edit_registry(&registry, &group, |record| {
        record.members.retain(|m| !removed.contains(&m.node));
        record.removed.extend(removed.iter().cloned());
    })
    .await?;
    let epoch = edit_topology(&topology, &group, |record| {
        check_removable(record, &group, &removed)?;
        record.replicas.retain(|m| !removed.contains(&m.node));
        Ok(())
    })
    .await?;
    let subjects = Subjects::new(prefix, &group);
    let mut retired = Vec::new();
    for node in &removed {
        if retire(bus, &subjects, &group, node, epoch).await {
            retired.push(node.to_string());
        }
    }
    let details = json!({ "ReplicasRemoved": removed, "Stopped": retired });
    publish(
        bus,
        prefix,
        &group,
        EventName::ReplicationGroupModified,
        details.clone(),
    )
    .await;
    Ok(Report {
        json: json!({ "ReplicationGroup": { "ReplicationGroupId": group, "Status": "available", "Modified": details }}),
        headers: vec!["GROUP", "REMOVED"],
        rows: vec![vec![
            group.to_string(),
            removed
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(","),
        ]],
    })
}

pub async fn increase(bus: &Bus, prefix: &str, args: &IncreaseReplicas) -> Result<Report, Failure> {
    let group = group_id(&args.replication_group_id)?;
    if args.new_replica_count == 0 || args.new_replica_count > 5 {
        return Err(Failure::usage(
            "--new-replica-count: must be between 1 and 5",
        ));
    }
    let registry = crate::bucket(bus, GROUPS_BUCKET).await?;
    let mut added = Vec::new();
    edit_registry(&registry, &group, |record| {
        let mut n = 1;
        while record.members.len() < args.new_replica_count + 1 {
            if let Ok(node) = NodeId::new(format!("{group}-{n:03}")) {
                if !record.members.iter().any(|m| m.node == node) && !record.removed.contains(&node)
                {
                    record.members.push(MemberSpec {
                        node: node.clone(),
                        az: String::new(),
                    });
                    added.push(node.to_string());
                }
            }
            n += 1;
        }
    })
    .await?;
    let details = json!({ "ReplicasAdded": added });
    publish(
        bus,
        prefix,
        &group,
        EventName::ReplicationGroupModified,
        details.clone(),
    )
    .await;
    let rows = added
        .iter()
        .map(|node| {
            vec![
                group.to_string(),
                node.clone(),
                format!("start: rg-node --group {group} --node-id {node} --nats-url ..."),
            ]
        })
        .collect();
    Ok(Report {
        json: json!({ "ReplicationGroup": { "ReplicationGroupId": group, "Status": "modifying", "Modified": details,
            "Note": "rgroup does not start processes: start a node with each new id (compose --scale, local-group.sh, or by hand); it joins as a replica" }}),
        headers: vec!["GROUP", "NEW NODE", "TO DO"],
        rows,
    })
}

pub async fn delete(bus: &Bus, prefix: &str, args: &DeleteGroup) -> Result<Report, Failure> {
    let group = group_id(&args.replication_group_id)?;
    let topology = crate::bucket(bus, BUCKET).await?;
    let registry = crate::bucket(bus, GROUPS_BUCKET).await?;
    let record = topology
        .get::<Topology>(group.as_str())
        .await?
        .map(|(t, _)| t);
    let registered = registry
        .get::<GroupRecord>(group.as_str())
        .await?
        .map(|(r, _)| r);
    if record.is_none() && registered.is_none() {
        return Err(Failure::refused(format!(
            "ReplicationGroupNotFoundFault: replication group {group} not found"
        )));
    }
    if registered.is_some() {
        edit_registry(&registry, &group, |r| r.status = GroupStatus::Deleting).await?;
    }
    let subjects = Subjects::new(prefix, &group);
    let epoch = record.as_ref().map(|t| t.epoch).unwrap_or_default();
    let mut members: Vec<NodeId> = record
        .iter()
        .flat_map(|t| t.members().map(|m| m.node.clone()))
        .collect();
    members.extend(
        registered
            .iter()
            .flat_map(|r| r.members.iter().map(|m| m.node.clone())),
    );
    members.sort();
    members.dedup();
    // Replicas first, so the primary's writes are not cut off from them mid-way.
    members.sort_by_key(|n| record.as_ref().is_some_and(|t| t.primary == *n));
    for node in &members {
        retire(bus, &subjects, &group, node, epoch).await;
    }
    let _ = topology.delete(group.as_str()).await;
    let _ = registry.delete(group.as_str()).await;
    publish(
        bus,
        prefix,
        &group,
        EventName::ReplicationGroupModified,
        json!({ "Deleted": true }),
    )
    .await;
    Ok(Report {
        json: json!({ "ReplicationGroup": { "ReplicationGroupId": group, "Status": "deleting" }}),
        headers: vec!["GROUP", "STATUS"],
        rows: vec![vec![group.to_string(), "deleting".into()]],
    })
}

/// Only replicas can be removed: the primary must be failed over first.
fn check_removable(record: &Topology, group: &GroupId, removed: &[NodeId]) -> Result<(), Failure> {
    for node in removed {
        if *node == record.primary {
            return Err(Failure::refused(format!(
                "InvalidParameterValue: {node} is the primary of {group}; fail over first (modify-replication-group --primary-cluster-id)"
            )));
        }
        if !record.replicas.iter().any(|m| m.node == *node) {
            return Err(Failure::refused(format!(
                "InvalidParameterValue: {node} is not a replica of {group}"
            )));
        }
    }
    Ok(())
}

fn group_id(id: &str) -> Result<GroupId, Failure> {
    GroupId::new(id).map_err(|e| Failure::usage(format!("--replication-group-id: {e}")))
}

/// Tells `node` to leave and stop; false if it did not answer (it is already gone).
async fn retire(
    bus: &Bus,
    subjects: &Subjects,
    group: &GroupId,
    node: &NodeId,
    epoch: rg_proto::Epoch,
) -> bool {
    let request = ControlRequest {
        group: group.clone(),
        epoch,
        command: ControlCommand::Retire,
    };
    bus.request::<_, ControlReply>(subjects.control(node), &request, Duration::from_secs(2))
        .await
        .is_ok_and(|reply| reply.accepted)
}

/// Changes the topology record by compare-and-set; its epoch.
async fn edit_topology(
    store: &Kv,
    group: &GroupId,
    mut change: impl FnMut(&mut Topology) -> Result<(), Failure>,
) -> Result<rg_proto::Epoch, Failure> {
    for _ in 0..5 {
        let Some((mut record, revision)) = store.get::<Topology>(group.as_str()).await? else {
            return Err(Failure::refused(format!(
                "ReplicationGroupNotFoundFault: {group} has no topology record"
            )));
        };
        change(&mut record)?;
        match store.update(group.as_str(), &record, revision).await {
            Ok(_) => return Ok(record.epoch),
            Err(e) if e.kind() == BusErrorKind::Conflict => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::refused(format!(
        "the topology record of {group} kept changing; try again"
    )))
}

/// Changes the registry record, if the group has one.
pub async fn edit_registry(
    store: &Kv,
    group: &GroupId,
    mut change: impl FnMut(&mut GroupRecord),
) -> Result<(), Failure> {
    for _ in 0..5 {
        let Some((mut record, revision)) = store.get::<GroupRecord>(group.as_str()).await? else {
            return Ok(());
        };
        change(&mut record);
        match store.update(group.as_str(), &record, revision).await {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == BusErrorKind::Conflict => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::refused(format!(
        "the registry record of {group} kept changing; try again"
    )))
}
