//! Replication over a real nats-server: a primary and two replicas as real processes.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use rg_testkit::{assert_eventually, NatsServer, Node};

use crate::support::{connect, err, info_field, info_int, q};

/// How long replicas get to catch up before a test fails.
pub(crate) const CONVERGE: Duration = Duration::from_secs(30);

pub(crate) struct Group {
    nats: NatsServer,
    name: String,
}

impl Group {
    pub(crate) fn new(name: &str) -> Group {
        Group {
            nats: NatsServer::start(),
            name: name.to_string(),
        }
    }

    /// Starts node `id`, as a replica of `follow` when given.
    pub(crate) fn node(&self, id: &str, follow: Option<&str>, extra: &[&str]) -> Node {
        let url = self.nats.url();
        let mut args = vec!["--nats-url", &url, "--group", &self.name, "--node-id", id];
        if let Some(primary) = follow {
            args.extend(["--replicaof", primary]);
        }
        args.extend(extra);
        Node::start(&args)
    }
}

fn digest(node: &Node) -> String {
    q(&mut connect(node), &["DEBUG", "DIGEST"])
}

pub(crate) fn converged(primary: &Node, replicas: &[&Node]) -> bool {
    let expected = digest(primary);
    replicas.iter().all(|r| digest(r) == expected)
}

/// Writes `count` keys of every type, some with a TTL, through the `redis` crate.
fn write_mixed(node: &Node, prefix: &str, count: usize) {
    let mut con = connect(node);
    let mut pipe = redis::pipe();
    for i in 0..count {
        let key = format!("{prefix}:{i}");
        match i % 6 {
            0 => pipe.cmd("SET").arg(&key).arg(i),
            1 => pipe.cmd("RPUSH").arg(&key).arg("a").arg(i),
            2 => pipe.cmd("HSET").arg(&key).arg("f").arg(i).arg("g").arg("x"),
            3 => pipe.cmd("SADD").arg(&key).arg(i).arg("m"),
            4 => pipe.cmd("ZADD").arg(&key).arg(i as f64 / 3.0).arg("m"),
            _ => pipe.cmd("SET").arg(&key).arg(i).arg("EX").arg(3600),
        };
        pipe.ignore();
        if i % 1000 == 999 {
            let _: () = pipe.query(&mut con).unwrap();
            pipe = redis::pipe();
        }
    }
    let _: () = pipe.query(&mut con).unwrap();
    let _: String = q(
        &mut con,
        &["INCRBYFLOAT", &format!("{prefix}:float"), "1.5"],
    );
}

#[test]
fn replicas_converge_on_the_primarys_dataset() {
    let group = Group::new("converge");
    let primary = group.node("n1", None, &[]);
    // 100,000 keys of every type: half before the replicas exist (full sync), half after.
    write_mixed(&primary, "before", 50_000);
    let r1 = group.node("n2", Some("n1"), &[]);
    let r2 = group.node("n3", Some("n1"), &[]);
    write_mixed(&primary, "after", 50_000);
    let status = Command::new("redis-benchmark")
        .args([
            "-p",
            &primary.port.to_string(),
            "-q",
            "-n",
            "20000",
            "-r",
            "5000",
        ])
        .args(["-t", "set,incr,lpush,sadd,hset,zadd,lpop,spop"])
        .output()
        .expect("redis-benchmark runs");
    assert!(status.status.success());
    assert_eventually!(converged(&primary, &[&r1, &r2]), CONVERGE);
    let mut con = connect(&primary);
    assert!(q::<i64>(&mut con, &["DBSIZE"]) > 100_000);
    assert_eventually!(info_int(&mut con, "replication", "connected_slaves") == 2);
    let mut replica = connect(&r1);
    assert_eq!(
        info_field(&mut replica, "replication", "role").as_deref(),
        Some("slave")
    );
    assert_eq!(
        info_field(&mut replica, "replication", "master_link_status").as_deref(),
        Some("up")
    );
}

#[test]
fn a_replica_refuses_writes_and_serves_reads() {
    let group = Group::new("readonly");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    let _: () = q(&mut connect(&primary), &["SET", "k", "v"]);
    let mut con = connect(&replica);
    assert_eventually!(q::<Option<String>>(&mut con, &["GET", "k"]).as_deref() == Some("v"));
    assert_eq!(
        err(&mut con, &["SET", "k", "w"]),
        "READONLY You can't write against a read only replica."
    );
    let role: Vec<redis::Value> = q(&mut con, &["ROLE"]);
    assert_eq!(role[0], redis::Value::BulkString(b"slave".to_vec()));
}

#[test]
fn a_killed_replica_converges_after_a_restart() {
    let group = Group::new("restart");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    write_mixed(&primary, "a", 1000);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    replica.signal("KILL");
    drop(replica);
    write_mixed(&primary, "b", 1000);
    let replica = group.node("n2", Some("n1"), &[]);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
}

#[test]
fn the_bus_restarting_mid_stream_loses_nothing() {
    let mut group = Group::new("busdown");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    write_mixed(&primary, "a", 1000);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    let port = group.nats.port;
    group.nats.kill();
    // The primary keeps serving its clients while the bus is down.
    write_mixed(&primary, "b", 1000);
    group.nats = NatsServer::start_on(port);
    write_mixed(&primary, "c", 100);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
}

#[test]
fn a_replica_paused_with_sigstop_catches_up() {
    let group = Group::new("paused");
    let primary = group.node("n1", None, &["--repl-backlog-size", "1mb"]);
    let replica = group.node("n2", Some("n1"), &[]);
    write_mixed(&primary, "a", 100);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    let mut con = connect(&primary);
    replica.signal("STOP");
    let value = "x".repeat(1000);
    for i in 0..3000 {
        let _: () = q(&mut con, &["SET", &format!("big:{i}"), &value]);
    }
    replica.signal("CONT");
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
}

#[test]
fn a_short_outage_resyncs_partially_and_a_long_one_fully() {
    let mut group = Group::new("outage");
    let primary = group.node("n1", None, &["--repl-backlog-size", "1mb"]);
    let replica = group.node("n2", Some("n1"), &[]);
    write_mixed(&primary, "a", 100);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    let mut con = connect(&primary);
    let port = group.nats.port;

    // Short: what the replica missed is still in the primary's backlog (or still in the
    // bus client's reconnect buffer), so no full sync is needed.
    let full = info_int(&mut con, "stats", "sync_full");
    group.nats.kill();
    write_mixed(&primary, "b", 100);
    group.nats = NatsServer::start_on(port);
    write_mixed(&primary, "c", 10);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    assert_eq!(info_int(&mut con, "stats", "sync_full"), full);

    // Long: more than the 1 MB backlog was written while the bus was down.
    group.nats.kill();
    let value = "y".repeat(1000);
    for i in 0..3000 {
        let _: () = q(&mut con, &["SET", &format!("long:{i}"), &value]);
    }
    group.nats = NatsServer::start_on(port);
    write_mixed(&primary, "d", 10);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    assert!(info_int(&mut con, "stats", "sync_full") > full);
}

#[test]
fn after_a_promotion_the_others_resync_partially() {
    let group = Group::new("promote");
    let n1 = group.node("n1", None, &[]);
    let n2 = group.node("n2", Some("n1"), &[]);
    let n3 = group.node("n3", Some("n1"), &[]);
    write_mixed(&n1, "a", 2000);
    assert_eventually!(converged(&n1, &[&n2, &n3]), CONVERGE);
    let mut new_primary = connect(&n2);
    let _: () = q(&mut new_primary, &["REPLICAOF", "NO", "ONE"]);
    let port = n2.port.to_string();
    // Peers learn each other's addresses from heartbeats, so the first tries may be early.
    for node in [&n1, &n3] {
        assert_eventually!(redis::cmd("REPLICAOF")
            .arg("127.0.0.1")
            .arg(&port)
            .query::<String>(&mut connect(node))
            .is_ok());
    }
    write_mixed(&n2, "b", 500);
    assert_eventually!(converged(&n2, &[&n1, &n3]), CONVERGE);
    assert_eq!(info_int(&mut new_primary, "stats", "sync_full"), 0);
    assert!(info_int(&mut new_primary, "stats", "sync_partial_ok") >= 2);
    assert_eq!(
        err(&mut connect(&n1), &["SET", "k", "v"]),
        "READONLY You can't write against a read only replica."
    );
}

#[test]
fn garbage_on_the_bus_is_dropped() {
    let group = Group::new("garbage");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    let mut raw = TcpStream::connect(("127.0.0.1", group.nats.port)).unwrap();
    let mut publish = |subject: &str, payload: &[u8]| {
        let header = format!("PUB {subject} {}\r\n", payload.len());
        raw.write_all(header.as_bytes()).unwrap();
        raw.write_all(payload).unwrap();
        raw.write_all(b"\r\n").unwrap();
    };
    raw_connect(&mut publish);
    for subject in [
        "rg.garbage.repl.stream",
        "rg.garbage.heartbeat.x",
        "rg.garbage.repl.ack",
    ] {
        publish(subject, b"\xc1 not messagepack");
        publish(subject, b"");
    }
    write_mixed(&primary, "a", 200);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
}

fn raw_connect(publish: &mut impl FnMut(&str, &[u8])) {
    // NATS accepts PUB without CONNECT once the INFO has been sent; a no-op PUB warms it up.
    publish("warmup", b"");
}

#[test]
fn a_node_needs_a_group_and_an_id_to_join_the_bus() {
    let output = Command::new(rg_testkit::binary("rg-node"))
        .args([
            "--port",
            "0",
            "--nats-url",
            "nats://127.0.0.1:1",
            "--node-id",
            "a.b",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("'group'"), "{stderr}");
}

#[test]
fn wait_counts_the_replicas_that_hold_the_write() {
    let group = Group::new("wait");
    let primary = group.node("n1", None, &[]);
    let r1 = group.node("n2", Some("n1"), &[]);
    let r2 = group.node("n3", Some("n1"), &[]);
    let mut con = connect(&primary);
    assert_eventually!(info_int(&mut con, "replication", "connected_slaves") == 2);
    let _: () = q(&mut con, &["SET", "k", "1"]);
    assert_eq!(q::<i64>(&mut con, &["WAIT", "2", "5000"]), 2);
    r2.signal("STOP");
    assert_eventually!(r2.is_stopped());
    let _: () = q(&mut con, &["SET", "k", "2"]);
    // r1 acknowledges (however loaded the machine); r2, stopped, cannot.
    assert_eq!(q::<i64>(&mut con, &["WAIT", "1", "5000"]), 1);
    assert_eq!(q::<i64>(&mut con, &["WAIT", "2", "300"]), 1);
    r2.signal("CONT");
    assert_eventually!(converged(&primary, &[&r1, &r2]), CONVERGE);
    assert!(err(&mut connect(&r1), &["WAIT", "1", "10"]).starts_with("ERR WAIT cannot be used"));
}

#[test]
fn min_replicas_to_write_refuses_writes_without_enough_replicas() {
    let group = Group::new("minreplicas");
    let primary = group.node("n1", None, &["--min-replicas-to-write", "1"]);
    let mut con = connect(&primary);
    assert_eq!(
        err(&mut con, &["SET", "k", "v"]),
        "NOREPLICAS Not enough good replicas to write."
    );
    let _replica = group.node("n2", Some("n1"), &[]);
    assert_eventually!(redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query::<()>(&mut connect(&primary))
        .is_ok());
}

#[test]
fn sync_replicas_answers_a_write_only_once_a_replica_holds_it() {
    let group = Group::new("syncrepl");
    let primary = group.node(
        "n1",
        None,
        &["--sync-replicas", "1", "--sync-timeout-ms", "300"],
    );
    let replica = group.node("n2", Some("n1"), &[]);
    let mut con = connect(&primary);
    assert_eventually!(info_int(&mut con, "replication", "connected_slaves") == 1);
    for i in 0..50 {
        let _: () = q(&mut con, &["SET", &format!("k{i}"), "v"]);
        // Acknowledged means the replica already holds it.
        let held: Option<String> = q(&mut connect(&replica), &["GET", &format!("k{i}")]);
        assert_eq!(held.as_deref(), Some("v"));
    }
    replica.signal("STOP");
    // The signal lands a moment later: until then the replica can still ack.
    assert_eventually!(replica.is_stopped());
    let error = err(&mut con, &["SET", "lost?", "v"]);
    assert!(
        error.starts_with("NOREPLICAS the write was not acknowledged"),
        "{error}"
    );
    let value: String = q(&mut con, &["GET", "k0"]);
    assert_eq!(value, "v", "reads are answered without waiting");
    replica.signal("CONT");
    let _: () = q(&mut con, &["CONFIG", "SET", "sync-replicas", "0"]);
    let _: () = q(&mut con, &["SET", "async", "v"]);
}

/// Sends a control request over a real bus client and returns the node's reply.
fn control(
    nats: &NatsServer,
    node: &str,
    epoch: u64,
    command: rg_proto::messages::ControlCommand,
) -> rg_proto::messages::ControlReply {
    use rg_proto::{Epoch, GroupId, NodeId, Subjects};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let bus = rg_bus::Bus::connect(&nats.url(), "test").await.unwrap();
        let group = GroupId::new("control").unwrap();
        let subject = Subjects::new("rg", &group).control(&NodeId::new(node).unwrap());
        let request = rg_proto::messages::ControlRequest {
            group,
            epoch: Epoch(epoch),
            command,
        };
        bus.request(subject, &request, Duration::from_secs(5))
            .await
            .unwrap()
    })
}

#[test]
fn control_requests_change_roles_and_refuse_older_epochs() {
    use rg_proto::messages::{ControlCommand, Role};
    let group = Group::new("control");
    let n1 = group.node("n1", None, &[]);
    let n2 = group.node("n2", Some("n1"), &[]);
    write_mixed(&n1, "a", 500);
    assert_eventually!(converged(&n1, &[&n2]), CONVERGE);

    let promoted = control(&group.nats, "n2", 1, ControlCommand::Promote);
    assert!(promoted.accepted, "{promoted:?}");
    assert_eq!(promoted.role, Role::Primary);
    let primary = rg_proto::NodeId::new("n2").unwrap();
    let repointed = control(
        &group.nats,
        "n1",
        1,
        ControlCommand::ReplicateOf { primary },
    );
    assert!(repointed.accepted && repointed.role == Role::Replica);
    write_mixed(&n2, "b", 500);
    assert_eventually!(converged(&n2, &[&n1]), CONVERGE);

    let stale = control(&group.nats, "n1", 0, ControlCommand::Promote);
    assert!(!stale.accepted);
    assert!(stale.reason.unwrap().contains("older"));
    assert_eq!(stale.role, Role::Replica);
    let itself = rg_proto::NodeId::new("n1").unwrap();
    let refused = control(
        &group.nats,
        "n1",
        2,
        ControlCommand::ReplicateOf { primary: itself },
    );
    assert!(!refused.accepted);
}

#[test]
fn a_batch_naming_another_group_is_dropped() {
    use rg_proto::messages::ReplBatch;
    use rg_proto::{Epoch, GroupId, NodeId, Offset, ReplId, Subjects};
    let group = Group::new("mine");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    write_mixed(&primary, "a", 100);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let bus = rg_bus::Bus::connect(&group.nats.url(), "intruder")
            .await
            .unwrap();
        let mine = GroupId::new("mine").unwrap();
        let forged = ReplBatch {
            group: GroupId::new("other").unwrap(),
            primary: NodeId::new("n1").unwrap(),
            epoch: Epoch(0),
            repl_id: ReplId::none(),
            offset: Offset(0),
            payload: bytes::Bytes::from_static(b"*1\r\n$8\r\nFLUSHALL\r\n"),
        };
        let subject = Subjects::new("rg", &mine).repl_stream();
        bus.publish(subject, &forged).await.unwrap();
        bus.flush().await.unwrap();
    });
    write_mixed(&primary, "b", 100);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    assert!(q::<i64>(&mut connect(&replica), &["DBSIZE"]) > 150);
}

/// Publishes heartbeats for `sentinels` of group `fence` every 100 ms until `stop` is set.
fn fake_sentinels(
    url: String,
    sentinels: &'static [&'static str],
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    use rg_proto::messages::SentinelHeartbeat;
    use rg_proto::{Epoch, GroupId, NodeId, Subjects};
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let bus = rg_bus::Bus::connect(&url, "fake-sentinels").await.unwrap();
            let group = GroupId::new("fence").unwrap();
            let subjects = Subjects::new("rg", &group);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for name in sentinels {
                    let sentinel = NodeId::new(*name).unwrap();
                    let heartbeat = SentinelHeartbeat {
                        group: group.clone(),
                        sentinel: sentinel.clone(),
                        epoch: Epoch(0),
                        primary: None,
                        record_epoch: Epoch(0),
                    };
                    let _ = bus
                        .publish(subjects.sentinel_heartbeat(&sentinel), &heartbeat)
                        .await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    })
}

#[test]
fn a_primary_that_loses_sight_of_its_sentinels_fences_itself() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let group = Group::new("fence");
    let fenced_error = "READONLY You can't write against a fenced primary";
    let primary = group.node(
        "n1",
        None,
        &["--sentinels", "s1,s2,s3", "--fence-timeout-ms", "400"],
    );
    let mut con = connect(&primary);
    // Only a stranger and one of three: not a majority, so after the grace period it fences.
    let stop = Arc::new(AtomicBool::new(false));
    let minority = fake_sentinels(group.nats.url(), &["s1", "mallory"], stop.clone());
    let fenced = |con: &mut redis::Connection| {
        redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query::<()>(con)
            .is_err_and(|e| crate::support::error_line(&e).starts_with(fenced_error))
    };
    assert_eventually!(fenced(&mut con));
    stop.store(true, Ordering::Relaxed);
    minority.join().unwrap();
    // A majority heard again: writes resume.
    let stop = Arc::new(AtomicBool::new(false));
    let majority = fake_sentinels(group.nats.url(), &["s1", "s2"], stop.clone());
    assert_eventually!(redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query::<()>(&mut con)
        .is_ok());
    // The sentinels go silent (as when the primary is cut off from the bus): fenced again.
    stop.store(true, Ordering::Relaxed);
    majority.join().unwrap();
    assert_eventually!(fenced(&mut con));
    let value: String = q(&mut con, &["GET", "k"]);
    assert_eq!(value, "v", "a fenced primary still serves reads");
}
