//! create-replication-group: the group's record in the registry. The nodes are started
//! separately (compose, local-group.sh); the sentinels mark the group available once its
//! primary runs.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rg_bus::{Bus, BusErrorKind, Kv};
use rg_proto::registry::{GroupRecord, GroupStatus, MemberSpec, GROUPS_BUCKET};
use rg_proto::{GroupId, NodeId};
use serde_json::json;

use crate::cli::Create;
use crate::failure::Failure;
use crate::report::Report;

pub async fn run(bus: &Bus, _prefix: &str, args: &Create) -> Result<Report, Failure> {
    let record = record(args)?;
    if !record.parameter_group.is_empty() {
        crate::parameters::exists(bus, &record.parameter_group).await?;
    }
    let registry = crate::bucket(bus, GROUPS_BUCKET).await?;
    register(&registry, &record).await?;
    let members: Vec<String> = record.members.iter().map(|m| m.node.to_string()).collect();
    let json = json!({ "ReplicationGroup": {
        "ReplicationGroupId": record.id,
        "Description": record.description,
        "Status": record.status.as_str(),
        "MemberClusters": members,
        "AutomaticFailover": enabled(record.automatic_failover),
        "MultiAZ": enabled(record.multi_az),
    }});
    let rows = vec![vec![
        record.id.to_string(),
        record.status.as_str().into(),
        members.join(","),
    ]];
    Ok(Report {
        json,
        headers: vec!["GROUP", "STATUS", "MEMBERS"],
        rows,
    })
}

/// Writes the record once. A try whose answer was lost may have landed, so a conflict after
/// a failed try is ours when the stored record is the one sent.
async fn register(registry: &Kv, record: &GroupRecord) -> Result<(), Failure> {
    let key = record.id.as_str();
    let deadline = Instant::now() + crate::BUS_PATIENCE;
    let mut retried = false;
    loop {
        let error = match registry.create(key, record).await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        match error.kind() {
            BusErrorKind::Conflict => {
                if retried {
                    if let Ok(Some((stored, _))) = registry.get::<GroupRecord>(key).await {
                        if &stored == record {
                            return Ok(());
                        }
                    }
                }
                return Err(Failure::refused(format!(
                    "ReplicationGroupAlreadyExists: replication group {key} already exists \
                     (describe-replication-groups shows it)"
                )));
            }
            BusErrorKind::Io | BusErrorKind::Timeout if Instant::now() < deadline => {
                retried = true;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            _ => return Err(error.into()),
        }
    }
}

pub fn enabled(on: bool) -> &'static str {
    if on {
        "enabled"
    } else {
        "disabled"
    }
}

/// The record the flags describe, every value checked.
fn record(args: &Create) -> Result<GroupRecord, Failure> {
    let id = GroupId::new(&args.replication_group_id)
        .map_err(|e| Failure::usage(format!("--replication-group-id: {e}")))?;
    if !matches!(args.engine.as_str(), "redis" | "valkey") {
        return Err(Failure::usage(format!(
            "--engine {}: not supported; rgroup runs a Redis-compatible engine (use --engine redis)",
            args.engine
        )));
    }
    if !args.security_group_ids.is_empty() {
        return Err(Failure::usage(
            "--security-group-ids: not supported yet; protect the router with its requirepass \
             and the bus with NATS credentials",
        ));
    }
    let node = |flag: &str, name: &str| {
        NodeId::new(name).map_err(|e| Failure::usage(format!("{flag}: {e}")))
    };
    let mut nodes: Vec<NodeId> = Vec::new();
    if !args.primary_cluster_id.is_empty() {
        nodes.push(node("--primary-cluster-id", &args.primary_cluster_id)?);
    }
    for replica in &args.cache_cluster_id_for_replication {
        nodes.push(node("--cache-cluster-id-for-replication", replica)?);
    }
    let wanted = args.num_cache_clusters.unwrap_or(nodes.len().max(1));
    if wanted == 0 || wanted > 6 {
        return Err(Failure::usage(
            "--num-cache-clusters: must be between 1 and 6",
        ));
    }
    if wanted < nodes.len() {
        return Err(Failure::usage(format!(
            "--num-cache-clusters {wanted} is fewer than the {} members named",
            nodes.len()
        )));
    }
    let mut n = 1;
    while nodes.len() < wanted {
        let generated = node("--replication-group-id", &format!("{id}-{n:03}"))?;
        if !nodes.contains(&generated) {
            nodes.push(generated);
        }
        n += 1;
    }
    let mut unique = nodes.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != nodes.len() {
        return Err(Failure::usage("a member is named twice"));
    }
    let azs = &args.preferred_cache_cluster_a_zs;
    if !azs.is_empty() && azs.len() != nodes.len() {
        return Err(Failure::usage(format!(
            "--preferred-cache-cluster-a-zs: give one AZ per member ({} members, {} AZs)",
            nodes.len(),
            azs.len()
        )));
    }
    let automatic_failover = !args.no_automatic_failover_enabled;
    if automatic_failover && nodes.len() < 2 {
        return Err(Failure::usage(
            "--automatic-failover-enabled needs at least one replica (or give --no-automatic-failover-enabled)",
        ));
    }
    if !args.preferred_maintenance_window.is_empty() {
        check_window(&args.preferred_maintenance_window)?;
    }
    let tags = args
        .tags
        .iter()
        .map(|tag| parse_tag(tag))
        .collect::<Result<Vec<_>, _>>()?;
    let members = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| MemberSpec {
            node: node.clone(),
            az: azs.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(GroupRecord {
        id,
        description: args.replication_group_description.clone(),
        primary: nodes[0].clone(),
        members,
        automatic_failover,
        multi_az: args.multi_az_enabled && !args.no_multi_az_enabled,
        parameter_group: args.cache_parameter_group.clone(),
        maintenance_window: args.preferred_maintenance_window.clone(),
        tags,
        status: GroupStatus::Creating,
        created_at_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        removed: Vec::new(),
    })
}

/// `Key=K,Value=V`.
fn parse_tag(tag: &str) -> Result<(String, String), Failure> {
    let bad = || Failure::usage(format!("--tags {tag}: expected Key=K,Value=V"));
    let (key, value) = tag.split_once(',').ok_or_else(bad)?;
    let key = key.strip_prefix("Key=").ok_or_else(bad)?;
    let value = value.strip_prefix("Value=").ok_or_else(bad)?;
    if key.is_empty() {
        return Err(bad());
    }
    Ok((key.to_string(), value.to_string()))
}

/// `ddd:hh:mm-ddd:hh:mm`, as the managed service writes maintenance windows.
fn check_window(window: &str) -> Result<(), Failure> {
    let bad = || {
        Failure::usage(format!(
            "--preferred-maintenance-window {window}: expected ddd:hh:mm-ddd:hh:mm, e.g. sun:05:00-sun:06:00"
        ))
    };
    let (start, end) = window.split_once('-').ok_or_else(bad)?;
    for part in [start, end] {
        let fields: Vec<&str> = part.split(':').collect();
        let [day, hour, minute] = fields.as_slice() else {
            return Err(bad());
        };
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let hour: u32 = hour.parse().map_err(|_| bad())?;
        let minute: u32 = minute.parse().map_err(|_| bad())?;
        if !days.contains(&day.to_ascii_lowercase().as_str()) || hour > 23 || minute > 59 {
            return Err(bad());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(words: &str) -> Result<GroupRecord, String> {
        let argv = std::iter::once("rgctl").chain(words.split(' '));
        let cli = crate::cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        let crate::cli::Command::CreateReplicationGroup(args) = cli.command else {
            return Err("not create".into());
        };
        record(&args).map_err(|f| f.message)
    }

    #[test]
    fn the_managed_service_shapes_are_accepted() {
        let record = parse("create-replication-group --replication-group-id cache --replication-group-description demo --num-cache-clusters 3 --engine redis").unwrap();
        let names: Vec<&str> = record.members.iter().map(|m| m.node.as_str()).collect();
        assert_eq!(names, ["cache-001", "cache-002", "cache-003"]);
        assert_eq!(record.primary.as_str(), "cache-001");
        let record = parse("create-replication-group --replication-group-id g --replication-group-description d --primary-cluster-id n1 --cache-cluster-id-for-replication n2 --cache-cluster-id-for-replication n3 --preferred-cache-cluster-a-zs az-a,az-b,az-c --tags Key=team,Value=core --preferred-maintenance-window sun:05:00-sun:06:00").unwrap();
        assert_eq!(record.members[2].az, "az-c");
        assert_eq!(record.tags, [("team".to_string(), "core".to_string())]);
        assert!(record.automatic_failover);
    }

    #[test]
    fn bad_values_name_their_flag() {
        let error = |words: &str| parse(words).unwrap_err();
        let base =
            "create-replication-group --replication-group-id g --replication-group-description d";
        assert!(error(&format!(
            "{base} --primary-cluster-id n1 --engine memcached"
        ))
        .contains("--engine memcached"));
        assert!(error(&format!("{base} --primary-cluster-id n.1")).contains("--primary-cluster-id"));
        assert!(error(&format!(
            "{base} --primary-cluster-id n1 --cache-cluster-id-for-replication n2 --tags team"
        ))
        .contains("--tags team"));
        assert!(error(&format!("{base} --primary-cluster-id n1 --cache-cluster-id-for-replication n2 --preferred-maintenance-window sun:25:00-sun:26:00")).contains("--preferred-maintenance-window"));
        assert!(error(&format!("{base} --primary-cluster-id n1"))
            .contains("needs at least one replica"));
        assert!(error(&format!(
            "{base} --primary-cluster-id n1 --cache-cluster-id-for-replication n1"
        ))
        .contains("named twice"));
    }
}
