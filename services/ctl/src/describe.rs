//! describe-replication-groups: the registry's record, the topology record and the nodes'
//! heartbeats, in the shape of the managed service's answer plus what rgroup knows beyond
//! it (epoch, each member's health, replication offset and lag).

use std::collections::BTreeMap;
use std::time::Duration;

use rg_bus::Bus;
use rg_proto::messages::{Heartbeat, Role};
use rg_proto::registry::{GroupRecord, GROUPS_BUCKET};
use rg_proto::topology::{Topology, BUCKET};
use rg_proto::{GroupId, NodeId, Subjects};
use serde_json::{json, Value};

use crate::cli::Describe;
use crate::create::enabled;
use crate::failure::Failure;
use crate::report::{text, Report};

/// How long heartbeats are gathered (nodes send one every 100 ms by default).
const LISTEN: Duration = Duration::from_millis(350);

pub async fn run(bus: &Bus, prefix: &str, args: &Describe) -> Result<Report, Failure> {
    let registry = crate::bucket(bus, GROUPS_BUCKET).await?;
    let topology = crate::bucket(bus, BUCKET).await?;
    let ids: Vec<String> = match &args.replication_group_id {
        Some(id) => vec![id.clone()],
        None => {
            let mut ids = registry.keys().await?;
            ids.extend(topology.keys().await?);
            ids.sort();
            ids.dedup();
            ids
        }
    };
    let mut groups = Vec::new();
    for id in ids {
        let group = GroupId::new(&id)
            .map_err(|e| Failure::usage(format!("--replication-group-id: {e}")))?;
        let record = registry
            .get::<GroupRecord>(&id)
            .await
            .map_err(|e| {
                Failure::refused(format!("the registry record of {id} is unreadable: {e}"))
            })?
            .map(|(r, _)| r);
        let current = topology
            .get::<Topology>(&id)
            .await
            .map_err(|e| {
                Failure::refused(format!("the topology record of {id} is unreadable: {e}"))
            })?
            .map(|(t, _)| t);
        if record.is_none() && current.is_none() {
            if args.replication_group_id.is_some() {
                return Err(Failure::refused(format!(
                    "ReplicationGroupNotFoundFault: replication group {id} not found"
                )));
            }
            continue;
        }
        let heartbeats = listen(bus, &Subjects::new(prefix, &group)).await?;
        groups.push(describe(
            &id,
            record.as_ref(),
            current.as_ref(),
            &heartbeats,
        ));
    }
    let rows = groups
        .iter()
        .flat_map(|g| {
            let members = g["NodeGroups"][0]["NodeGroupMembers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            members.into_iter().map(move |m| {
                vec![
                    text(&g["ReplicationGroupId"]),
                    text(&g["Status"]),
                    text(&m["CacheClusterId"]),
                    text(&m["CurrentRole"]),
                    text(&m["Health"]),
                    text(&m["PreferredAvailabilityZone"]),
                    format!(
                        "{}:{}",
                        text(&m["ReadEndpoint"]["Address"]),
                        text(&m["ReadEndpoint"]["Port"])
                    ),
                    text(&m["ReplicationOffset"]),
                    text(&g["Epoch"]),
                ]
            })
        })
        .collect();
    Ok(Report {
        json: json!({ "ReplicationGroups": groups }),
        headers: vec![
            "GROUP", "STATUS", "NODE", "ROLE", "HEALTH", "AZ", "ENDPOINT", "OFFSET", "EPOCH",
        ],
        rows,
    })
}

/// The latest heartbeat of each node, gathered for a moment.
async fn listen(bus: &Bus, subjects: &Subjects) -> Result<BTreeMap<NodeId, Heartbeat>, Failure> {
    let mut subscription = bus.subscribe::<Heartbeat>(subjects.heartbeats()).await?;
    let mut latest = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + LISTEN;
    while let Ok(Some((heartbeat, _))) =
        tokio::time::timeout_at(deadline, subscription.next()).await
    {
        latest.insert(heartbeat.node.clone(), heartbeat);
    }
    Ok(latest)
}

fn describe(
    id: &str,
    record: Option<&GroupRecord>,
    topology: Option<&Topology>,
    heartbeats: &BTreeMap<NodeId, Heartbeat>,
) -> Value {
    // Members: the topology's (what runs), else the registry's (what was asked for).
    let mut members: Vec<(NodeId, String, String)> = match topology {
        Some(t) => t
            .members()
            .map(|m| (m.node.clone(), m.az.clone(), m.address.clone()))
            .collect(),
        None => record
            .map(|r| {
                r.members
                    .iter()
                    .map(|m| (m.node.clone(), m.az.clone(), String::new()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    if let Some(record) = record {
        for wanted in &record.members {
            if !members.iter().any(|(n, _, _)| *n == wanted.node) {
                members.push((wanted.node.clone(), wanted.az.clone(), String::new()));
            }
        }
    }
    let primary = topology.map(|t| t.primary.clone());
    let primary_offset = primary
        .as_ref()
        .and_then(|p| heartbeats.get(p))
        .map(|h| h.offset.0);
    let group_members: Vec<Value> = members
        .iter()
        .map(|(node, az, address)| {
            let beat = heartbeats.get(node);
            let address = beat.map_or(address.clone(), |b| b.address.clone());
            let (host, port) = address.rsplit_once(':').unwrap_or((address.as_str(), ""));
            let role = if primary.as_ref() == Some(node) { "primary" } else { "replica" };
            let reported = beat.map(|b| match b.role {
                Role::Primary => "primary",
                Role::Replica => "replica",
            });
            let lag = match (beat, primary_offset) {
                (Some(b), Some(p)) if role == "replica" => Value::from(p.saturating_sub(b.offset.0)),
                _ => Value::Null,
            };
            json!({
                "CacheClusterId": node,
                "CacheNodeId": "0001",
                "ReadEndpoint": { "Address": host, "Port": port.parse::<u16>().ok() },
                "PreferredAvailabilityZone": if az.is_empty() { beat.map(|b| b.az.clone()).unwrap_or_default() } else { az.clone() },
                "CurrentRole": role,
                "Health": if beat.is_some() { "up" } else { "down" },
                "ReportedRole": reported,
                "ReplicationOffset": beat.map(|b| b.offset.0),
                "BytesBehindPrimary": lag,
                "LinkUp": beat.map(|b| b.link_up),
            })
        })
        .collect();
    let primary_member = group_members.iter().find(|m| m["CurrentRole"] == "primary");
    let status = record.map_or("available", |r| r.status.as_str());
    json!({
        "ReplicationGroupId": id,
        "Description": record.map(|r| r.description.clone()).unwrap_or_default(),
        "Status": status,
        "MemberClusters": members.iter().map(|(n, _, _)| n.to_string()).collect::<Vec<_>>(),
        "NodeGroups": [{
            "NodeGroupId": "0001",
            "Status": status,
            "PrimaryEndpoint": primary_member.map(|m| m["ReadEndpoint"].clone()),
            "NodeGroupMembers": group_members,
        }],
        "AutomaticFailover": enabled(topology.map_or(record.is_some_and(|r| r.automatic_failover), |t| t.automatic_failover)),
        "MultiAZ": enabled(record.is_some_and(|r| r.multi_az)),
        "CacheParameterGroup": record.map(|r| r.parameter_group.clone()),
        "PreferredMaintenanceWindow": record.map(|r| r.maintenance_window.clone()),
        "ReplicationGroupCreateTime": record.map(|r| humantime::format_rfc3339_millis(
            std::time::UNIX_EPOCH + Duration::from_millis(r.created_at_ms)).to_string()),
        "Tags": record.map(|r| r.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()),
        "Epoch": topology.map(|t| t.epoch.0),
    })
}
