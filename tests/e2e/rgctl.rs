//! rgctl against a real group: create, describe, test-failover (events in order, as a NATS
//! subscriber receives them), a planned switchover back under a write load, a node that
//! joins, and bad flags.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rg_testkit::{assert_eventually, binary};
use serde_json::Value;

use crate::group::{in_order, Group};
use crate::support::{info_int, q};

fn rgctl(group: &Group, args: &[&str]) -> Output {
    Command::new(binary("rgctl"))
        .args(["--nats-url", &group.nats.url()])
        .args(args)
        .output()
        .expect("rgctl runs")
}

/// Runs rgctl, which must succeed, and parses its JSON.
fn json(group: &Group, args: &[&str]) -> Value {
    let output = rgctl(group, args);
    assert!(output.status.success(), "rgctl {args:?}: {output:?}");
    serde_json::from_slice(&output.stdout).expect("rgctl prints JSON")
}

fn describe(group: &Group) -> Value {
    json(
        group,
        &[
            "describe-replication-groups",
            "--replication-group-id",
            "ha",
        ],
    )["ReplicationGroups"][0]
        .clone()
}

fn role_of(described: &Value, node: &str) -> String {
    let members = described["NodeGroups"][0]["NodeGroupMembers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    members
        .iter()
        .find(|m| m["CacheClusterId"] == node)
        .map(|m| m["CurrentRole"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// Registers group `ha` with `count` members named ha-001..., starts them all the same way
/// (no --replicaof: roles come from the registry) and waits until it is available.
fn create_numbered(group: &mut Group, count: usize) {
    let count_flag = count.to_string();
    json(
        group,
        &[
            "create-replication-group",
            "--replication-group-id",
            "ha",
            "--replication-group-description",
            "members named by rgctl",
            "--num-cache-clusters",
            &count_flag,
        ],
    );
    for n in 1..=count {
        group.node(&format!("ha-{n:03}"), None, &[]);
    }
    assert_eventually!(
        describe(group)["Status"] == "available",
        Duration::from_secs(20)
    );
}

#[test]
fn create_describe_test_failover_and_switch_back_without_losing_a_write() {
    let mut group = Group::start();
    let created = json(
        &group,
        &[
            "create-replication-group",
            "--replication-group-id",
            "ha",
            "--replication-group-description",
            "Demo group with replicas",
            "--primary-cluster-id",
            "n1",
            "--cache-cluster-id-for-replication",
            "n2",
            "--cache-cluster-id-for-replication",
            "n3",
            "--preferred-cache-cluster-a-zs",
            "az-a,az-b,az-c",
            "--automatic-failover-enabled",
            "--multi-az-enabled",
            "--engine",
            "redis",
            "--tags",
            "Key=team,Value=cache",
        ],
    );
    assert_eq!(created["ReplicationGroup"]["Status"], "creating");
    group.node("n1", None, &[]);
    group.node("n2", Some("n1"), &[]);
    group.node("n3", Some("n1"), &[]);
    assert_eventually!(
        describe(&group)["Status"] == "available",
        Duration::from_secs(20)
    );
    let described = describe(&group);
    assert_eq!(described["Description"], "Demo group with replicas");
    assert_eq!(role_of(&described, "n1"), "primary");
    assert_eq!(role_of(&described, "n2"), "replica");
    let port = described["NodeGroups"][0]["PrimaryEndpoint"]["Port"].as_u64();
    assert_eq!(port, Some(u64::from(group.nodes["n1"].port)));
    assert_eq!(described["AutomaticFailover"], "enabled");
    assert_eq!(described["MultiAZ"], "enabled");

    // test-failover: the events arrive in order, describe shows the new primary.
    let failed_over = json(&group, &["test-failover", "--replication-group-id", "ha"]);
    let new_primary = failed_over["ReplicationGroup"]["PrimaryClusterId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_primary, "n1");
    assert_eventually!(group.events.names().iter().any(|n| n == "FailoverComplete"));
    assert!(
        in_order(
            &group.events.names(),
            &[
                "CreateReplicationGroupComplete",
                "TestFailoverStarted",
                "FailoverStarted",
                "ReplicaPromoted",
                "FailoverComplete"
            ]
        ),
        "{:?}",
        group.events.names()
    );
    assert_eventually!(role_of(&describe(&group), &new_primary) == "primary");

    // Switch back to n1 under a write load: every acknowledged write is on n1.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<u64>>> = Arc::default();
    let writer = {
        let mut con = group.connect(&new_primary);
        let (stop, acked) = (stop.clone(), acked.clone());
        std::thread::spawn(move || {
            for i in 0u64.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                match redis::cmd("SET")
                    .arg(format!("w{i}"))
                    .arg(i)
                    .query::<()>(&mut con)
                {
                    Ok(()) => acked.lock().unwrap().push(i),
                    Err(e) if e.code().is_some() => std::thread::sleep(Duration::from_millis(1)),
                    Err(_) => return,
                }
            }
        })
    };
    assert_eventually!(acked.lock().unwrap().len() >= 300);
    json(
        &group,
        &[
            "modify-replication-group",
            "--replication-group-id",
            "ha",
            "--primary-cluster-id",
            "n1",
            "--apply-immediately",
        ],
    );
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let mut n1 = group.connect("n1");
    for i in acked.lock().unwrap().iter() {
        assert_eq!(
            q::<Option<u64>>(&mut n1, &["GET", &format!("w{i}")]),
            Some(*i),
            "write w{i} lost"
        );
    }
    assert_eq!(role_of(&describe(&group), "n1"), "primary");

    // describe-events returns what the bus kept.
    let events = json(
        &group,
        &[
            "describe-events",
            "--source-identifier",
            "ha",
            "--duration",
            "10",
        ],
    );
    let names: Vec<String> = events["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Event"]["event"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        names.iter().any(|n| n == "CreateReplicationGroupComplete"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "ReplicationGroupModified"),
        "{names:?}"
    );

    // A node started with the group's id joins as a replica of the current primary.
    group.node("n4", None, &[]);
    assert_eventually!(
        info_int(&mut group.connect("n1"), "replication", "connected_slaves") == 3,
        Duration::from_secs(20)
    );
    assert_eventually!(role_of(&describe(&group), "n4") == "replica");
}

#[test]
fn bad_flags_get_clear_errors_and_exit_codes() {
    let group = Group::start();
    let create = |extra: &[&str]| {
        let mut args = vec![
            "create-replication-group",
            "--replication-group-id",
            "g1",
            "--replication-group-description",
            "d",
        ];
        args.extend(extra);
        rgctl(&group, &args)
    };
    let engine = create(&[
        "--primary-cluster-id",
        "a",
        "--cache-cluster-id-for-replication",
        "b",
        "--engine",
        "memcached",
    ]);
    assert_eq!(engine.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&engine.stderr).contains("--engine memcached"));
    let tags = create(&["--num-cache-clusters", "2", "--tags", "team=x"]);
    assert_eq!(tags.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&tags.stderr).contains("Key=K,Value=V"));
    let unknown = rgctl(&group, &["create-replication-group", "--no-such-flag"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(create(&["--num-cache-clusters", "2"]).status.success());
    let again = create(&["--num-cache-clusters", "2"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("ReplicationGroupAlreadyExists"));
    let missing = rgctl(
        &group,
        &[
            "describe-replication-groups",
            "--replication-group-id",
            "nope",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("ReplicationGroupNotFoundFault"));
    let nothing = rgctl(
        &group,
        &["modify-replication-group", "--replication-group-id", "g1"],
    );
    assert_eq!(nothing.status.code(), Some(2));
    let table = rgctl(
        &group,
        &["describe-replication-groups", "--output", "table"],
    );
    assert!(String::from_utf8_lossy(&table.stdout).starts_with("GROUP"));
}

#[test]
fn a_parameter_change_reaches_every_node_of_the_group() {
    let mut group = Group::start();
    json(
        &group,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "tuned",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "for tests",
        ],
    );
    json(
        &group,
        &[
            "create-replication-group",
            "--replication-group-id",
            "ha",
            "--replication-group-description",
            "d",
            "--primary-cluster-id",
            "n1",
            "--cache-cluster-id-for-replication",
            "n2",
            "--cache-parameter-group",
            "tuned",
        ],
    );
    // Both started the same way: n2 takes its role from the registry.
    group.node("n1", None, &[]);
    group.node("n2", None, &[]);
    assert_eventually!(group.role("n2").as_deref() == Some("slave"));
    assert_eventually!(info_int(&mut group.connect("n1"), "replication", "connected_slaves") == 1);
    json(
        &group,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "tuned",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy,ParameterValue=allkeys-lru",
            "ParameterName=maxmemory,ParameterValue=100mb",
        ],
    );
    for node in ["n1", "n2"] {
        let config = |name: &str| -> String {
            let pair: Vec<String> = q(&mut group.connect(node), &["CONFIG", "GET", name]);
            pair.get(1).cloned().unwrap_or_default()
        };
        assert_eventually!(
            config("maxmemory-policy") == "allkeys-lru",
            Duration::from_secs(20)
        );
        assert_eq!(config("maxmemory"), "104857600");
    }
    let described = json(
        &group,
        &[
            "describe-cache-parameters",
            "--cache-parameter-group-name",
            "tuned",
        ],
    );
    let policy = described["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ParameterName"] == "maxmemory-policy")
        .cloned()
        .unwrap();
    assert_eq!(policy["ParameterValue"], "allkeys-lru");
    assert_eventually!(group
        .events
        .names()
        .iter()
        .any(|n| n == "CacheClusterParametersChanged"));
    let refused = rgctl(
        &group,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "tuned",
            "--parameter-name-values",
            "ParameterName=save,ParameterValue=60",
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("save is not a parameter"));
    let missing = rgctl(
        &group,
        &[
            "describe-cache-parameters",
            "--cache-parameter-group-name",
            "nope",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn replicas_are_removed_and_added_and_a_group_deleted() {
    let mut group = Group::start();
    create_numbered(&mut group, 3);
    assert_eventually!(
        info_int(
            &mut group.connect("ha-001"),
            "replication",
            "connected_slaves"
        ) == 2
    );

    let primary = rgctl(
        &group,
        &[
            "decrease-replica-count",
            "--replication-group-id",
            "ha",
            "--replicas-to-remove",
            "ha-001",
        ],
    );
    assert_eq!(primary.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&primary.stderr).contains("is the primary"));
    json(
        &group,
        &[
            "decrease-replica-count",
            "--replication-group-id",
            "ha",
            "--replicas-to-remove",
            "ha-003",
            "--apply-immediately",
        ],
    );
    assert_eventually!(
        group
            .nodes
            .get_mut("ha-003")
            .unwrap()
            .exit_status()
            .is_some(),
        Duration::from_secs(10)
    );
    assert_eventually!(
        info_int(
            &mut group.connect("ha-001"),
            "replication",
            "connected_slaves"
        ) == 1,
        Duration::from_secs(20)
    );
    let members = describe(&group)["MemberClusters"].clone();
    assert!(
        !members.as_array().unwrap().iter().any(|m| m == "ha-003"),
        "{members}"
    );

    let added = json(
        &group,
        &[
            "increase-replica-count",
            "--replication-group-id",
            "ha",
            "--new-replica-count",
            "2",
        ],
    );
    assert_eq!(
        added["ReplicationGroup"]["Modified"]["ReplicasAdded"][0],
        "ha-004"
    );
    group.node("ha-004", None, &[]);
    assert_eventually!(
        info_int(
            &mut group.connect("ha-001"),
            "replication",
            "connected_slaves"
        ) == 2,
        Duration::from_secs(20)
    );

    json(
        &group,
        &["delete-replication-group", "--replication-group-id", "ha"],
    );
    for node in ["ha-001", "ha-002", "ha-004"] {
        assert_eventually!(
            group.nodes.get_mut(node).unwrap().exit_status().is_some(),
            Duration::from_secs(10)
        );
    }
    let gone = rgctl(
        &group,
        &[
            "describe-replication-groups",
            "--replication-group-id",
            "ha",
        ],
    );
    assert_eq!(gone.status.code(), Some(1));
}

#[test]
fn a_nats_py_subscriber_receives_a_test_failovers_events_in_order() {
    use std::io::{BufRead, BufReader};
    let python = crate::support::python_with("nats");
    // Sentinels told no group: they watch whatever the registry holds.
    let mut group = Group::watching("");
    create_numbered(&mut group, 2);
    let script = format!("{}/py/follow_events.py", env!("CARGO_MANIFEST_DIR"));
    let mut follower = Command::new(python)
        .args([&script, &group.nats.url(), "rg.events.ha.>"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the nats-py follower starts");
    let mut lines = BufReader::new(follower.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    json(&group, &["test-failover", "--replication-group-id", "ha"]);
    let names: Vec<String> = lines.map_while(Result::ok).collect();
    let status = follower.wait().unwrap();
    assert!(
        status.success(),
        "the follower saw no FailoverComplete: {names:?}"
    );
    assert!(
        in_order(
            &names,
            &[
                "TestFailoverStarted",
                "FailoverStarted",
                "ReplicaPromoted",
                "ReplicaRepointed",
                "FailoverComplete"
            ]
        ),
        "{names:?}"
    );
}
