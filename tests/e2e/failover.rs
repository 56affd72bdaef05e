//! Failover with real sentinels, nodes and nats-server (JetStream for the topology record).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rg_testkit::{assert_eventually, TcpProxy};

use crate::group::{in_order, Group};
use crate::support::{error_line, info_int, q};

const FAILOVER: Duration = Duration::from_secs(20);

/// n1 primary, n2 and n3 its replicas, all three in sync.
fn three_nodes(extra_n2: &[&str]) -> Group {
    let mut group = Group::start();
    group.node("n1", None, &[]);
    group.node("n2", Some("n1"), extra_n2);
    group.node("n3", Some("n1"), &[]);
    let mut con = group.connect("n1");
    assert_eventually!(info_int(&mut con, "replication", "connected_slaves") == 2);
    // The record exists before anything fails (the sentinels create it from heartbeats).
    assert_eventually!(group.events.names().iter().any(|n| n == "TopologyCreated"));
    group
}

/// Writes `key:N` for N = 0, 1, ... on `id`, each followed by WAIT 1, until told to stop or
/// the node stops answering; the keys whose WAIT counted a replica are the acknowledged ones.
struct Writer {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<u64>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(group: &Group, id: &str, wait: bool) -> Writer {
        let mut con = group.connect(id);
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Arc<Mutex<Vec<u64>>> = Arc::default();
        let (stop_flag, sink) = (stop.clone(), acked.clone());
        let thread = std::thread::spawn(move || {
            let _ = con.set_read_timeout(Some(Duration::from_secs(2)));
            for i in 0u64.. {
                if stop_flag.load(Ordering::SeqCst) {
                    return;
                }
                let set = redis::cmd("SET")
                    .arg(format!("key:{i}"))
                    .arg(i)
                    .query::<()>(&mut con);
                match set {
                    Ok(()) if !wait => sink.lock().unwrap().push(i),
                    Ok(()) => {
                        let replicas = redis::cmd("WAIT").arg(1).arg(1000).query::<i64>(&mut con);
                        if matches!(replicas, Ok(n) if n >= 1) {
                            sink.lock().unwrap().push(i);
                        }
                    }
                    // Refused (paused, fenced): not acknowledged; keep trying.
                    Err(e) if e.code().is_some() => std::thread::sleep(Duration::from_millis(2)),
                    Err(_) => return,
                }
            }
        });
        Writer {
            stop,
            acked,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<u64> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.acked.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.acked.lock().unwrap().len()
    }
}

fn assert_all_present(con: &mut redis::Connection, acked: &[u64]) {
    for i in acked {
        let value: Option<u64> = q(con, &["GET", &format!("key:{i}")]);
        assert_eq!(value, Some(*i), "acknowledged write key:{i} was lost");
    }
}

#[test]
fn killing_the_primary_under_load_promotes_a_replica_with_every_waited_write() {
    let mut group = three_nodes(&[]);
    let writer = Writer::start(&group, "n1", true);
    assert_eventually!(writer.count() >= 200);
    group.kill_node("n1");
    let acked = writer.finish();

    assert_eventually!(group.only_primary(&["n2", "n3"]).is_some(), FAILOVER);
    let primary = group.only_primary(&["n2", "n3"]).unwrap();
    let replica = if primary == "n2" { "n3" } else { "n2" };
    let mut new = group.connect(&primary);
    assert_all_present(&mut new, &acked);

    // The other replica follows the new primary by continuing its history (partial resync).
    assert_eventually!(
        info_int(&mut new, "replication", "connected_slaves") == 1,
        FAILOVER
    );
    assert_eq!(info_int(&mut new, "stats", "sync_full"), 0);
    assert!(info_int(&mut new, "stats", "sync_partial_ok") >= 1);
    let _: () = q(&mut new, &["SET", "after", "failover"]);
    assert_eventually!(
        q::<Option<String>>(&mut group.connect(replica), &["GET", "after"]).as_deref()
            == Some("failover"),
        FAILOVER
    );
    assert_eventually!(group.events.names().iter().any(|n| n == "FailoverComplete"));
    let names = group.events.names();
    assert!(
        in_order(
            &names,
            &[
                "NodeHealthChanged",
                "VoteGranted",
                "LeaderElected",
                "PrimaryDown",
                "FailoverStarted",
                "ReplicaPromoted",
                "ReplicaRepointed",
                "FailoverComplete"
            ]
        ),
        "events out of order: {names:?}"
    );
    let complete = group
        .events
        .all()
        .into_iter()
        .find(|e| e["event"] == "FailoverComplete")
        .unwrap();
    assert_eq!(complete["node"], primary.as_str());
    assert_eq!(complete["details"]["previous_primary"], "n1");
    assert!(complete["epoch"].as_u64().unwrap() >= 1);
    assert!(complete["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn a_paused_primary_comes_back_as_a_replica_without_taking_old_epoch_writes() {
    let mut group = Group::start();
    group.node("n1", None, &[]);
    group.node("n2", Some("n1"), &[]);
    let mut old = group.connect("n1");
    assert_eventually!(group.events.names().iter().any(|n| n == "TopologyCreated"));
    let _: () = q(&mut old, &["SET", "before", "pause"]);
    assert!(q::<i64>(&mut old, &["WAIT", "1", "5000"]) >= 1);

    group.nodes["n1"].signal("STOP");
    assert_eventually!(group.role("n2").as_deref() == Some("master"), FAILOVER);
    group.nodes["n1"].signal("CONT");
    // Back, it must not take a write as the old primary; it becomes a replica of n2.
    assert_eventually!(group.role("n1").as_deref() == Some("slave"), FAILOVER);
    let refused = redis::cmd("SET")
        .arg("stale")
        .arg("write")
        .query::<()>(&mut group.connect("n1"));
    assert!(refused.is_err(), "the old primary took a write");
    let _: () = q(&mut group.connect("n2"), &["SET", "after", "resume"]);
    assert_eventually!(
        q::<Option<String>>(&mut group.connect("n1"), &["GET", "after"]).as_deref()
            == Some("resume"),
        FAILOVER
    );
    assert_eventually!(group
        .events
        .names()
        .iter()
        .any(|n| n == "NodeRejoinedAsReplica"));
}

#[test]
fn a_primary_cut_off_the_bus_fences_itself_and_rejoins_as_a_replica() {
    let mut group = Group::start();
    let proxy = TcpProxy::start(group.nats.port);
    group.node_on(&proxy.url(), "n1", None, &[]);
    group.node("n2", Some("n1"), &[]);
    let mut old = group.connect("n1");
    assert_eventually!(info_int(&mut old, "replication", "connected_slaves") == 1);
    let _: () = q(&mut old, &["SET", "before", "cut"]);
    assert!(q::<i64>(&mut old, &["WAIT", "1", "5000"]) >= 1);

    proxy.cut();
    // Still reachable by clients, it refuses writes once it cannot see the sentinels.
    assert_eventually!({
        let refused = redis::cmd("SET")
            .arg("during")
            .arg("cut")
            .query::<()>(&mut old);
        refused.is_err_and(|e| error_line(&e).contains("fenced"))
    });
    assert_eventually!(group.role("n2").as_deref() == Some("master"), FAILOVER);
    let _: () = q(&mut group.connect("n2"), &["SET", "on", "new-primary"]);

    proxy.heal();
    assert_eventually!(group.role("n1").as_deref() == Some("slave"), FAILOVER);
    // Back on the bus, the node told what happened to it.
    assert_eventually!(group.events.names().iter().any(|n| n == "NodeFenced"));
    // (While it loads a full sync, GET answers LOADING: that counts as not yet.)
    assert_eventually!(
        redis::cmd("GET")
            .arg("on")
            .query::<Option<String>>(&mut group.connect("n1"))
            .is_ok_and(|v| v.as_deref() == Some("new-primary")),
        FAILOVER
    );
    // No write was taken in the old epoch, and the one made before the cut survived.
    let mut new = group.connect("n2");
    assert_eq!(q::<Option<String>>(&mut new, &["GET", "during"]), None);
    assert_eq!(
        q::<Option<String>>(&mut new, &["GET", "before"]).as_deref(),
        Some("cut")
    );
}

#[test]
fn one_sentinel_down_still_fails_over() {
    let mut group = three_nodes(&[]);
    group.stop_sentinel("s3");
    group.kill_node("n1");
    assert_eventually!(group.only_primary(&["n2", "n3"]).is_some(), FAILOVER);
}

#[test]
fn two_sentinels_down_means_no_failover_and_the_status_says_why() {
    let mut group = three_nodes(&[]);
    group.stop_sentinel("s2");
    group.stop_sentinel("s3");
    group.kill_node("n1");
    // Well past down-after (500 ms) and the failover timeout: nothing may happen.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(group.role("n2").as_deref(), Some("slave"));
    assert_eq!(group.role("n3").as_deref(), Some("slave"));

    let fields = group.master_fields("s1");
    let why = &fields["rg-failover-status"];
    assert!(why.contains("1 of 3 sentinels reachable"), "status: {why}");
    assert!(fields["flags"].contains("s_down"), "{fields:?}");
    let quorum = redis::cmd("SENTINEL")
        .arg("CKQUORUM")
        .arg("ha")
        .query::<String>(&mut group.sentinel("s1"))
        .unwrap_err();
    assert!(
        error_line(&quorum).starts_with("NOQUORUM 1 usable Sentinels"),
        "{}",
        error_line(&quorum)
    );
}

#[test]
fn replica_priority_zero_is_never_promoted() {
    // n2 would win on node id; priority 0 rules it out.
    let mut group = three_nodes(&["--replica-priority", "0"]);
    assert_eq!(
        crate::support::info_field(&mut group.connect("n2"), "replication", "slave_priority")
            .as_deref(),
        Some("0")
    );
    group.kill_node("n1");
    assert_eventually!(group.role("n3").as_deref() == Some("master"), FAILOVER);
    assert_eventually!(
        info_int(&mut group.connect("n3"), "replication", "connected_slaves") == 1,
        FAILOVER
    );
    assert_eq!(group.role("n2").as_deref(), Some("slave"));
}

#[test]
fn a_planned_failover_under_load_loses_no_acknowledged_write() {
    let group = three_nodes(&[]);
    let mut sentinel = group.sentinel("s2");
    let ckquorum = |con: &mut redis::Connection| {
        redis::cmd("SENTINEL")
            .arg("CKQUORUM")
            .arg("ha")
            .query::<String>(con)
    };
    // Once every sentinel has heard the others.
    assert_eventually!(ckquorum(&mut sentinel)
        .is_ok_and(|reply| reply
            == "OK 3 usable Sentinels. Quorum and failover authorization can be reached"));
    // Plain writes, no WAIT: the handover itself must keep every acknowledged one.
    let writer = Writer::start(&group, "n1", false);
    assert_eventually!(writer.count() >= 500);
    let reply: String = redis::cmd("SENTINEL")
        .arg("FAILOVER")
        .arg("ha")
        .query(&mut sentinel)
        .unwrap_or_else(|e| panic!("SENTINEL FAILOVER failed: {}", error_line(&e)));
    assert_eq!(reply, "OK");
    let acked = writer.finish();
    let primary = group
        .only_primary(&["n1", "n2", "n3"])
        .expect("one primary");
    assert_ne!(primary, "n1");
    assert_all_present(&mut group.connect(&primary), &acked);
    // The old primary follows the new one.
    assert_eventually!(group.role("n1").as_deref() == Some("slave"), FAILOVER);
    assert_eq!(
        group.primary_port("s2", "ha"),
        Some(group.nodes[&primary].port)
    );
    assert!(in_order(
        &group.events.names(),
        &["TestFailoverStarted", "ReplicaPromoted", "FailoverComplete"]
    ));
}

#[test]
fn one_sentinel_set_watches_several_groups_and_fails_over_only_the_one_that_failed() {
    let mut group = Group::watching("ha,hb");
    let url = group.nats.url();
    group.node_in("ha", &url, "a1", None, &[]);
    group.node_in("ha", &url, "a2", Some("a1"), &[]);
    group.node_in("hb", &url, "b1", None, &[]);
    group.node_in("hb", &url, "b2", Some("b1"), &[]);
    let masters = || -> Vec<Vec<String>> {
        redis::cmd("SENTINEL")
            .arg("MASTERS")
            .query(&mut group.sentinel("s1"))
            .unwrap()
    };
    let names = |masters: Vec<Vec<String>>| -> Vec<String> {
        masters
            .into_iter()
            .map(|fields| fields[1].clone())
            .collect()
    };
    assert_eq!(names(masters()), ["ha", "hb"]);
    assert_eventually!(info_int(&mut group.connect("b1"), "replication", "connected_slaves") == 1);
    assert_eventually!(group.primary_port("s2", "hb") == Some(group.nodes["b1"].port));
    group.kill_node("b1");
    assert_eventually!(group.role("b2").as_deref() == Some("master"), FAILOVER);
    assert_eq!(group.role("a1").as_deref(), Some("master"));
    assert_eq!(group.role("a2").as_deref(), Some("slave"));
    assert_eventually!(group.primary_port("s2", "hb") == Some(group.nodes["b2"].port));
}
