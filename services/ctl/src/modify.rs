//! modify-replication-group and test-failover: planned switchovers through the sentinels,
//! and the automatic-failover switch in the topology record.

use std::time::{Duration, SystemTime};

use rg_bus::{Bus, BusErrorKind};
use rg_proto::events::{Event, EventName};
use rg_proto::messages::{FailoverReply, FailoverRequest};
use rg_proto::registry::{GroupRecord, GroupStatus, GROUPS_BUCKET};
use rg_proto::topology::{Topology, BUCKET};
use rg_proto::{GroupId, NodeId, Subjects};
use serde_json::json;

use crate::cli::{Modify, TestFailover};
use crate::failure::Failure;
use crate::report::Report;

/// A planned failover waits for the replica to catch up; give it time.
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(bus: &Bus, prefix: &str, args: &Modify) -> Result<Report, Failure> {
    let group = group_id(&args.replication_group_id)?;
    let automatic = match (
        args.automatic_failover_enabled,
        args.no_automatic_failover_enabled,
    ) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    if args.primary_cluster_id.is_none() && automatic.is_none() {
        return Err(Failure::usage(
            "nothing to change: give --primary-cluster-id NODE or --[no-]automatic-failover-enabled",
        ));
    }
    let modifying = Modifying::begin(bus, &group).await?;
    let outcome = apply(bus, prefix, &group, args, automatic).await;
    modifying.end().await;
    outcome
}

async fn apply(
    bus: &Bus,
    prefix: &str,
    group: &GroupId,
    args: &Modify,
    automatic: Option<bool>,
) -> Result<Report, Failure> {
    let group = group.clone();
    let mut changes = serde_json::Map::new();
    if let Some(on) = automatic {
        set_automatic_failover(bus, &group, on).await?;
        changes.insert(
            "AutomaticFailover".into(),
            json!(crate::create::enabled(on)),
        );
    }
    let mut outcome = None;
    if let Some(target) = &args.primary_cluster_id {
        let target = NodeId::new(target)
            .map_err(|e| Failure::usage(format!("--primary-cluster-id: {e}")))?;
        let reply = failover(bus, prefix, &group, Some(target.clone())).await?;
        changes.insert("PrimaryClusterId".into(), json!(target));
        outcome = Some(reply);
    }
    publish(
        bus,
        prefix,
        &group,
        EventName::ReplicationGroupModified,
        changes.clone().into(),
    )
    .await;
    let primary = outcome
        .as_ref()
        .and_then(|r| r.primary.as_ref().map(|p| p.to_string()));
    Ok(Report {
        json: json!({ "ReplicationGroup": {
            "ReplicationGroupId": group,
            "Status": "available",
            "PendingModifiedValues": {},
            "Modified": changes,
            "Epoch": outcome.as_ref().map(|r| r.epoch.0),
        }}),
        headers: vec!["GROUP", "PRIMARY"],
        rows: vec![vec![group.to_string(), primary.unwrap_or_default()]],
    })
}

pub async fn test_failover(
    bus: &Bus,
    prefix: &str,
    args: &TestFailover,
) -> Result<Report, Failure> {
    let group = group_id(&args.replication_group_id)?;
    if args.node_group_id != "0001" {
        return Err(Failure::usage(format!(
            "--node-group-id {}: rgroup groups have one node group, 0001",
            args.node_group_id
        )));
    }
    let modifying = Modifying::begin(bus, &group).await?;
    let reply = failover(bus, prefix, &group, None).await;
    modifying.end().await;
    let reply = reply?;
    let primary = reply.primary.map(|p| p.to_string()).unwrap_or_default();
    Ok(Report {
        json: json!({ "ReplicationGroup": {
            "ReplicationGroupId": group,
            "Status": "available",
            "PrimaryClusterId": primary,
            "Epoch": reply.epoch.0,
        }}),
        headers: vec!["GROUP", "PRIMARY", "EPOCH"],
        rows: vec![vec![group.to_string(), primary, reply.epoch.0.to_string()]],
    })
}

/// The registry record's `modifying` status for the length of one modification, so that a
/// second one at the same time is refused.
struct Modifying {
    registry: Option<rg_bus::Kv>,
    group: GroupId,
}

impl Modifying {
    async fn begin(bus: &Bus, group: &GroupId) -> Result<Modifying, Failure> {
        let registry = crate::bucket(bus, GROUPS_BUCKET).await?;
        let Some((mut record, revision)) = registry.get::<GroupRecord>(group.as_str()).await?
        else {
            // A group without a registry record (started without rgctl): nothing to mark.
            return Ok(Modifying {
                registry: None,
                group: group.clone(),
            });
        };
        if record.status != GroupStatus::Available {
            return Err(Failure::refused(format!(
                "InvalidReplicationGroupState: {group} is {}; wait until it is available",
                record.status.as_str()
            )));
        }
        record.status = GroupStatus::Modifying;
        registry
            .update(group.as_str(), &record, revision)
            .await
            .map_err(|e| match e.kind() {
                BusErrorKind::Conflict => Failure::refused(format!(
                    "InvalidReplicationGroupState: {group} changed meanwhile; try again"
                )),
                _ => e.into(),
            })?;
        Ok(Modifying {
            registry: Some(registry),
            group: group.clone(),
        })
    }

    /// Back to `available`.
    async fn end(self) {
        if let Some(registry) = &self.registry {
            let _ = crate::members::edit_registry(registry, &self.group, |r| {
                r.status = GroupStatus::Available;
            })
            .await;
        }
    }
}

fn group_id(id: &str) -> Result<GroupId, Failure> {
    GroupId::new(id).map_err(|e| Failure::usage(format!("--replication-group-id: {e}")))
}

/// Asks the sentinels for a planned failover and waits for its outcome.
async fn failover(
    bus: &Bus,
    prefix: &str,
    group: &GroupId,
    target: Option<NodeId>,
) -> Result<FailoverReply, Failure> {
    let subject = Subjects::new(prefix, group).sentinel_failover();
    let request = FailoverRequest {
        group: group.clone(),
        target,
    };
    let reply: FailoverReply = bus
        .request(subject, &request, FAILOVER_TIMEOUT)
        .await
        .map_err(|e| match e.kind() {
            BusErrorKind::Timeout => Failure::unavailable(format!(
                "no sentinel answered for {group} within {} s (are rg-sentinels watching it?)",
                FAILOVER_TIMEOUT.as_secs()
            )),
            _ => Failure::unavailable(format!(
                "no sentinel watches {group} ({e}); start rg-sentinel with --group {group}"
            )),
        })?;
    if !reply.accepted {
        return Err(Failure::refused(format!(
            "the failover of {group} did not happen: {}",
            reply.reason.as_deref().unwrap_or("no reason given")
        )));
    }
    Ok(reply)
}

/// Turns automatic failover on or off in the topology record (compare-and-set) and in the
/// registry record when there is one.
async fn set_automatic_failover(bus: &Bus, group: &GroupId, on: bool) -> Result<(), Failure> {
    let topology = crate::bucket(bus, BUCKET).await?;
    for _ in 0..5 {
        let Some((mut record, revision)) = topology.get::<Topology>(group.as_str()).await? else {
            return Err(Failure::refused(format!(
                "ReplicationGroupNotFoundFault: {group} has no topology record yet (are its nodes and sentinels running?)"
            )));
        };
        record.automatic_failover = on;
        match topology.update(group.as_str(), &record, revision).await {
            Ok(_) => break,
            Err(e) if e.kind() == BusErrorKind::Conflict => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let registry = crate::bucket(bus, GROUPS_BUCKET).await?;
    if let Some((mut record, revision)) = registry.get::<GroupRecord>(group.as_str()).await? {
        record.automatic_failover = on;
        let _ = registry.update(group.as_str(), &record, revision).await;
    }
    Ok(())
}

/// rgctl's own events (the sentinels publish the failover's).
pub async fn publish(
    bus: &Bus,
    prefix: &str,
    group: &GroupId,
    name: EventName,
    details: serde_json::Value,
) {
    let event = Event {
        event: name,
        group: group.clone(),
        node: None,
        epoch: Default::default(),
        timestamp: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        source: NodeId::new("rgctl").expect("'rgctl' is a valid id"),
        details: match details {
            serde_json::Value::Object(map) => map,
            _ => Default::default(),
        },
    };
    let subject = Subjects::new(prefix, group).event(name.as_str());
    let _ = bus.publish_raw(subject, event.to_json()).await;
    let _ = bus.flush().await;
}
