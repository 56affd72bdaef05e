//! describe-events (the events the bus kept) and events --follow (a live tail).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rg_bus::Bus;
use rg_proto::registry::EVENTS_STREAM;
use serde_json::{json, Value};

use crate::cli::{DescribeEvents, Follow, Output};
use crate::failure::Failure;
use crate::report::{text, Report};

pub async fn describe(bus: &Bus, prefix: &str, args: &DescribeEvents) -> Result<Report, Failure> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64;
    let since = now.saturating_sub(args.duration.saturating_mul(60_000));
    let kept = bus
        .read_stream(EVENTS_STREAM, &format!("{prefix}.events.>"), since)
        .await
        .map_err(|e| Failure::unavailable(format!("cannot read the kept events ({e}); are rg-sentinels running (they keep the stream)?")))?;
    let events: Vec<Value> = kept
        .iter()
        .filter_map(|(_, payload)| serde_json::from_slice::<Value>(payload).ok())
        .filter(|event| match &args.source_identifier {
            Some(id) => event["group"] == id.as_str() || event["node"] == id.as_str(),
            None => true,
        })
        .map(managed_shape)
        .collect();
    let rows = events.iter().map(row).collect();
    Ok(Report {
        json: json!({ "Events": events }),
        headers: vec!["DATE", "SOURCE", "TYPE", "EVENT", "MESSAGE"],
        rows,
    })
}

/// Prints events as they arrive, until interrupted.
pub async fn follow(bus: &Bus, prefix: &str, args: &Follow, output: Output) -> Result<(), Failure> {
    let subject = match &args.replication_group_id {
        Some(group) => format!("{prefix}.events.{group}.>"),
        None => format!("{prefix}.events.>"),
    };
    let mut events = bus.subscribe_raw(subject).await?;
    while let Some((_, payload)) = events.next().await {
        let Ok(event) = serde_json::from_slice::<Value>(&payload) else {
            continue;
        };
        match output {
            Output::Json => println!("{}", serde_json::to_string(&event).unwrap_or_default()),
            _ => println!("{}", row(&managed_shape(event)).join("\t")),
        }
    }
    Ok(())
}

/// An event as describe-events shows it: the managed service's fields, then rgroup's.
fn managed_shape(event: Value) -> Value {
    let (source, kind) = match event["node"].as_str() {
        Some(node) => (node.to_string(), "cache-cluster"),
        None => (text(&event["group"]), "replication-group"),
    };
    json!({
        "SourceIdentifier": source,
        "SourceType": kind,
        "Message": message(&event),
        "Date": event["timestamp"],
        "Event": event,
    })
}

fn row(event: &Value) -> Vec<String> {
    vec![
        text(&event["Date"]),
        text(&event["SourceIdentifier"]),
        text(&event["SourceType"]),
        text(&event["Event"]["event"]),
        text(&event["Message"]),
    ]
}

/// A sentence for each event, as the managed service's console shows.
fn message(event: &Value) -> String {
    let node = text(&event["node"]);
    let details = &event["details"];
    match event["event"].as_str().unwrap_or_default() {
        "FailoverComplete" => format!(
            "Failover from primary {} to replica {node} completed",
            text(&details["previous_primary"])
        ),
        "FailoverStarted" => format!(
            "Failover from {node} started; promoting {}",
            text(&details["candidate"])
        ),
        "ReplicaPromoted" => format!("Promoted {node} to primary"),
        "ReplicaRepointed" => format!("{node} now replicates from {}", text(&details["primary"])),
        "PrimaryDown" => format!("Primary {node} is down for a quorum of sentinels"),
        "TestFailoverStarted" => "Test failover requested".into(),
        "FailoverAborted" => format!("Failover from {node} aborted: {}", text(&details["reason"])),
        "NodeRejoinedAsReplica" => format!("{node} rejoined as a replica"),
        "NodeHealthChanged" if details["healthy"] == true => format!("{node} is up"),
        "NodeHealthChanged" => format!("{node} is down: {}", text(&details["reason"])),
        "TopologyCreated" => "Topology record created".into(),
        "CreateReplicationGroupComplete" => "Replication group created".into(),
        "ReplicationGroupModified" => format!("Replication group modified: {details}"),
        other => other.to_string(),
    }
}
