//! No acknowledged write lost under partitions, pauses and fast restarts: each scenario is
//! one failure seen against earlier versions, replayed against the real processes.

use std::time::Duration;

use rg_testkit::{assert_eventually, TcpProxy};

use crate::group::{Group, RouterProcess};
use crate::support::{error_line, info_int, q};

/// How long a test group may take to start, its replicas linked, before a test begins.
const STARTUP: Duration = Duration::from_secs(20);

const FAILOVER: Duration = Duration::from_secs(20);

/// n1 primary, n2 and n3 its replicas, in sync, watched by sentinels with `down_after_ms`.
fn three_nodes(down_after_ms: u64) -> Group {
    let mut group = Group::with_down_after(down_after_ms);
    group.node("n1", None, &[]);
    group.node("n2", Some("n1"), &[]);
    group.node("n3", Some("n1"), &[]);
    let mut con = group.connect("n1");
    // Three debug nodes starting on a loaded machine: a fresh clone's run once took over 5 s.
    assert_eventually!(
        info_int(&mut con, "replication", "connected_slaves") == 2,
        STARTUP
    );
    assert_eventually!(group.events.names().iter().any(|n| n == "TopologyCreated"));
    group
}

/// n1 primary, reaching the bus through the returned proxy (so a test can cut it off), and
/// n2 and n3 its replicas, in sync.
fn primary_behind_a_proxy() -> (Group, TcpProxy) {
    let mut group = Group::start();
    let proxy = TcpProxy::start(group.nats.port);
    group.node_on(&proxy.url(), "n1", None, &[]);
    group.node("n2", Some("n1"), &[]);
    group.node("n3", Some("n1"), &[]);
    assert_eventually!(
        info_int(&mut group.connect("n1"), "replication", "connected_slaves") == 2,
        STARTUP
    );
    assert_eventually!(group.events.names().iter().any(|n| n == "TopologyCreated"));
    (group, proxy)
}

/// SETs through the router's smart endpoint in a loop (errors ignored) until dropped: the
/// load that keeps a new primary's offsets moving.
struct Background {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    fn start(router: &RouterProcess) -> Background {
        let mut con = router_connection(router);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let _ = con.set_read_timeout(Some(Duration::from_secs(2)));
            for i in 0u64.. {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                let set = redis::cmd("SET")
                    .arg(format!("load:{i}"))
                    .arg(i)
                    .query::<()>(&mut con);
                if set.is_err() {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        });
        Background {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn router_connection(router: &RouterProcess) -> redis::Connection {
    let con = router.connect(router.smart);
    let _ = con.set_read_timeout(Some(Duration::from_secs(10)));
    con
}

fn get(group: &Group, node: &str, key: &str) -> Option<String> {
    q(&mut group.connect(node), &["GET", key])
}

/// The one master among n1..n3 once every other node follows it with its link up.
fn converged(group: &Group) -> Option<String> {
    let primary = group.only_primary(&["n1", "n2", "n3"])?;
    let linked = ["n1", "n2", "n3"]
        .iter()
        .filter(|n| **n != primary)
        .all(|n| {
            crate::support::info_field(&mut group.connect(n), "replication", "master_link_status")
                .as_deref()
                == Some("up")
        });
    linked.then_some(primary)
}

#[test]
fn wait_through_the_router_never_counts_replicas_of_another_history() {
    let (group, proxy) = primary_behind_a_proxy();
    let router = group.router(&[]);
    let mut client = router_connection(&router);
    let _: () = q(&mut client, &["SET", "before", "cut"]);
    assert!(q::<i64>(&mut client, &["WAIT", "1", "5000"]) >= 1);
    let load = Background::start(&router);

    // Cut off the bus, the primary still takes this write (it fences itself only later);
    // nothing of it reaches a replica. A WAIT longer than the failover must not count the
    // new primary's replicas, whose offsets go on from the old numbering.
    proxy.cut();
    let _: () = q(&mut client, &["SET", "lost", "write"]);
    let waited: i64 = q(&mut client, &["WAIT", "1", "3000"]);
    drop(load);
    proxy.heal();
    assert_eventually!(converged(&group).is_some_and(|p| p != "n1"), FAILOVER);
    let primary = converged(&group).unwrap_or_default();
    let survived = get(&group, &primary, "lost").is_some();
    assert!(
        waited == 0 || survived,
        "WAIT answered {waited} for a write the new primary {primary} does not have"
    );
    assert_eq!(get(&group, &primary, "before").as_deref(), Some("cut"));
}

#[test]
fn wait_through_the_router_forgets_an_old_primarys_offset_once_it_rejoins() {
    let (group, proxy) = primary_behind_a_proxy();
    let router = group.router(&[]);
    // While cut off, n1 runs its offset far ahead of the others (megabytes nobody gets).
    proxy.cut();
    let big = "x".repeat(512 * 1024);
    let mut old = group.connect("n1");
    for i in 0..4 {
        let _ = redis::cmd("SET")
            .arg(format!("big:{i}"))
            .arg(&big)
            .query::<()>(&mut old);
    }
    assert_eventually!(
        group.role("n2").as_deref() == Some("master")
            || group.role("n3").as_deref() == Some("master"),
        FAILOVER
    );
    proxy.heal();
    let primary = {
        assert_eventually!(converged(&group).is_some_and(|p| p != "n1"), FAILOVER);
        converged(&group).unwrap_or_default()
    };
    let other = ["n2", "n3"]
        .into_iter()
        .find(|n| *n != primary)
        .unwrap_or("n3");
    let mut client = router_connection(&router);
    assert_eventually!(q::<i64>(&mut client, &["WAIT", "2", "100"]) == 2, FAILOVER);
    // Both replicas stopped: no replica can hold the next write, whatever offsets the
    // router saw from n1 while it still led its own history.
    group.nodes["n1"].signal("STOP");
    group.nodes[other].signal("STOP");
    assert_eventually!(group.nodes["n1"].is_stopped() && group.nodes[other].is_stopped());
    let _: () = q(&mut client, &["SET", "after", "rejoin"]);
    let waited: i64 = q(&mut client, &["WAIT", "1", "300"]);
    group.nodes["n1"].signal("CONT");
    group.nodes[other].signal("CONT");
    assert_eq!(waited, 0, "no running replica could hold the write");
}

#[test]
fn a_primary_restarted_at_once_does_not_wipe_its_replicas() {
    // Sentinels slow enough that the restart is over before any of them could notice.
    let mut group = three_nodes(2000);
    let mut con = group.connect("n1");
    for i in 0..200 {
        let _: () = q(&mut con, &["SET", &format!("kept:{i}"), &i.to_string()]);
    }
    assert_eq!(q::<i64>(&mut con, &["WAIT", "2", "5000"]), 2);
    // kill -9 and back within a fraction of a second, as `restart: unless-stopped` does:
    // faster than any sentinel's down-after.
    group.restart_node("n1", &[]);
    // It must not lead its replicas into its empty history: a replica that has the data
    // takes over.
    assert_eventually!(converged(&group).is_some_and(|p| p != "n1"), FAILOVER);
    let primary = converged(&group).unwrap_or_default();
    for node in ["n1", "n2", "n3"] {
        assert_eventually!(
            get(&group, node, "kept:199").as_deref() == Some("199"),
            FAILOVER
        );
        assert_eq!(
            q::<i64>(&mut group.connect(node), &["DBSIZE"]),
            200,
            "{node}"
        );
    }
    // The group takes writes again, on a primary that has the data.
    let mut writable = group.connect(&primary);
    assert_eventually!(redis::cmd("SET")
        .arg("after")
        .arg("restart")
        .query::<()>(&mut writable)
        .is_ok());
}

#[test]
fn a_cut_off_primary_stops_acknowledging_once_its_replicas_acks_stop() {
    let mut group = Group::start();
    let proxy = TcpProxy::start(group.nats.port);
    // Fencing off: only the acks' silence can refuse these writes.
    let safety = [
        "--min-replicas-to-write",
        "1",
        "--min-replicas-max-lag-ms",
        "200",
        "--fence-timeout-ms",
        "0",
    ];
    group.node_on(&proxy.url(), "n1", None, &safety);
    group.node("n2", Some("n1"), &safety);
    let mut con = group.connect("n1");
    assert_eventually!(redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query::<()>(&mut con)
        .is_ok());
    proxy.cut();
    assert_eventually!(redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query::<()>(&mut con)
        .is_err_and(|e| error_line(&e).starts_with("NOREPLICAS")));
}

#[test]
fn a_replica_full_syncs_values_larger_than_a_bus_message() {
    // No sentinels: the bus and two nodes are all this needs (and a busy machine cannot
    // fence the primary halfway through the load).
    let nats = rg_testkit::NatsServer::start();
    let url = nats.url();
    let bus = ["--nats-url", url.as_str(), "--group", "big"];
    let primary = rg_testkit::Node::start(&[&bus[..], &["--node-id", "n1"]].concat());
    let mut con = crate::support::connect(&primary);
    // A list of 120,000 elements and a 3 MB string: each one entry above max_payload.
    for batch in 0..120 {
        let mut push = redis::cmd("RPUSH");
        push.arg("long");
        for i in 0..1000 {
            push.arg(format!("element-{batch}-{i}"));
        }
        let _: i64 = push.query(&mut con).expect("RPUSH");
    }
    let _: () = q(&mut con, &["SET", "wide", &"w".repeat(3 * 1024 * 1024)]);
    let replica =
        rg_testkit::Node::start(&[&bus[..], &["--node-id", "n2", "--replicaof", "n1"]].concat());
    let mut copy = crate::support::connect(&replica);
    assert_eventually!(q::<i64>(&mut copy, &["LLEN", "long"]) == 120_000, FAILOVER);
    assert_eq!(q::<i64>(&mut copy, &["STRLEN", "wide"]), 3 * 1024 * 1024);
    let digest = |con: &mut redis::Connection| q::<String>(con, &["DEBUG", "DIGEST"]);
    assert_eq!(digest(&mut copy), digest(&mut con));
}

/// Heartbeats of sentinels s1..s3 of group `ha` every 100 ms, naming `record` (the primary
/// and the epoch of the topology record), until `record` holds None.
fn fake_sentinels(
    url: String,
    record: std::sync::Arc<std::sync::Mutex<Option<(&'static str, u64)>>>,
) -> std::thread::JoinHandle<()> {
    use rg_proto::messages::SentinelHeartbeat;
    use rg_proto::{Epoch, GroupId, NodeId, Subjects};
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let bus = rg_bus::Bus::connect(&url, "fake sentinels")
                .await
                .expect("the bus");
            let group = GroupId::new("ha").expect("an id");
            let subjects = Subjects::new("rg", &group);
            loop {
                let Some((primary, epoch)) = *record.lock().unwrap() else {
                    return;
                };
                for name in ["s1", "s2", "s3"] {
                    let sentinel = NodeId::new(name).expect("an id");
                    let heartbeat = SentinelHeartbeat {
                        group: group.clone(),
                        sentinel: sentinel.clone(),
                        epoch: Epoch(epoch + 1),
                        primary: Some(NodeId::new(primary).expect("an id")),
                        record_epoch: Epoch(epoch),
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
fn a_primary_that_hears_of_a_newer_epoch_with_another_primary_refuses_writes_at_once() {
    use std::sync::{Arc, Mutex};
    let nats = rg_testkit::NatsServer::start();
    let url = nats.url();
    let node = rg_testkit::Node::start(&[
        "--nats-url",
        &url,
        "--group",
        "ha",
        "--node-id",
        "n1",
        "--sentinels",
        "s1,s2,s3",
    ]);
    let mut con = crate::support::connect(&node);
    let record = Arc::new(Mutex::new(Some(("n1", 0))));
    let sentinels = fake_sentinels(url, record.clone());
    let set = |con: &mut redis::Connection| redis::cmd("SET").arg("k").arg("v").query::<()>(con);
    assert_eventually!(set(&mut con).is_ok());
    // The sentinels' record now names n2 in epoch 5 (n1 was paused or cut off meanwhile);
    // no re-point reaches n1: the word alone must stop its writes.
    *record.lock().unwrap() = Some(("n2", 5));
    assert_eventually!(set(&mut con).is_err_and(|e| error_line(&e).starts_with("READONLY")));
    // Word of an older epoch naming n1 again does not lift it.
    *record.lock().unwrap() = Some(("n1", 4));
    std::thread::sleep(Duration::from_millis(300));
    assert!(set(&mut con).is_err(), "an older epoch must not unfence");
    *record.lock().unwrap() = None;
    sentinels.join().expect("the fake sentinels stop");
}

#[test]
fn a_replica_keeps_its_data_when_its_primary_comes_back_empty_unannounced() {
    // No sentinels and no record: nothing tells the restarted primary what it lost, so the
    // replica is the last line of defence.
    let nats = rg_testkit::NatsServer::start();
    let url = nats.url();
    let bus = ["--nats-url", url.as_str(), "--group", "hand"];
    let primary_args = [&bus[..], &["--node-id", "n1"]].concat();
    let primary = rg_testkit::Node::start(&primary_args);
    let replica =
        rg_testkit::Node::start(&[&bus[..], &["--node-id", "n2", "--replicaof", "n1"]].concat());
    let mut con = crate::support::connect(&primary);
    for i in 0..100 {
        let _: () = q(&mut con, &["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(q::<i64>(&mut con, &["WAIT", "1", "5000"]), 1);
    primary.signal("KILL");
    drop(primary);
    let back = rg_testkit::Node::start(&primary_args);
    assert_eventually!(replica.log().contains("refusing a full sync"), FAILOVER);
    let mut held = crate::support::connect(&replica);
    assert_eq!(q::<i64>(&mut held, &["DBSIZE"]), 100);
    assert_eq!(
        q::<i64>(&mut crate::support::connect(&back), &["DBSIZE"]),
        0
    );
}

#[test]
fn a_partial_resync_completes_a_command_longer_than_a_page() {
    // The replica's offset stops at its last complete command, and a resync page holds at
    // most 512 KiB: a 3 MB value missed while cut off must still arrive, page by page.
    let nats = rg_testkit::NatsServer::start();
    let url = nats.url();
    let proxy = TcpProxy::start(nats.port);
    let proxied = proxy.url();
    let primary =
        rg_testkit::Node::start(&["--nats-url", &url, "--group", "pages", "--node-id", "n1"]);
    let replica = rg_testkit::Node::start(&[
        "--nats-url",
        &proxied,
        "--group",
        "pages",
        "--node-id",
        "n2",
        "--replicaof",
        "n1",
    ]);
    let mut con = crate::support::connect(&primary);
    let _: () = q(&mut con, &["SET", "small", "v"]);
    assert_eq!(q::<i64>(&mut con, &["WAIT", "1", "5000"]), 1);
    proxy.cut();
    let wide = "w".repeat(3 * 1024 * 1024);
    let _: () = q(&mut con, &["SET", "wide", &wide]);
    proxy.heal();
    let mut copy = crate::support::connect(&replica);
    assert_eventually!(
        q::<i64>(&mut copy, &["STRLEN", "wide"]) == 3 * 1024 * 1024,
        FAILOVER
    );
    assert_eq!(
        info_int(&mut con, "stats", "sync_full"),
        1,
        "only the first sync was full"
    );
}
