//! rg-router in front of a real group (JetStream, three nodes, three sentinels), driven by
//! the `redis` crate and redis-cli.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rg_testkit::assert_eventually;

use crate::group::{Group, RouterProcess};
use crate::support::{error_line, info_field, info_int, q};

const FAILOVER: Duration = Duration::from_secs(20);

/// n1 primary, n2 and n3 replicas, the record written, and a router that sees them all.
pub(crate) fn group_with_router(extra: &[&str]) -> (Group, RouterProcess) {
    router_over(Group::start(), extra)
}

/// [`group_with_router`] on a group of the caller's making.
pub(crate) fn router_over(mut group: Group, extra: &[&str]) -> (Group, RouterProcess) {
    group.node("n1", None, &[]);
    group.node("n2", Some("n1"), &[]);
    group.node("n3", Some("n1"), &[]);
    assert_eventually!(info_int(&mut group.connect("n1"), "replication", "connected_slaves") == 2);
    assert_eventually!(group.events.names().iter().any(|n| n == "TopologyCreated"));
    let router = group.router(extra);
    let mut con = router.connect(router.smart);
    assert_eventually!(router_field(&mut con, "replica1").is_some_and(|r| r.contains("fit=1")));
    (group, router)
}

fn router_field(con: &mut redis::Connection, field: &str) -> Option<String> {
    info_field(con, "router", field)
}

fn commands_processed(group: &Group, node: &str) -> i64 {
    info_int(
        &mut group.connect(node),
        "stats",
        "total_commands_processed",
    )
}

#[test]
fn each_endpoint_routes_as_documented() {
    let (_group, router) = group_with_router(&[]);
    let mut smart = router.connect(router.smart);
    let mut primary = router.connect(router.primary);
    let mut reader = router.connect(router.reader);
    let _: () = q(&mut smart, &["SET", "k", "v"]);
    assert_eq!(
        q::<String>(&mut smart, &["GET", "k"]),
        "v",
        "read-your-writes"
    );
    assert_eq!(q::<i64>(&mut primary, &["INCR", "n"]), 1);
    assert_eventually!(q::<Option<String>>(&mut reader, &["GET", "k"]).as_deref() == Some("v"));
    let refused = redis::cmd("SET")
        .arg("k")
        .arg("w")
        .query::<()>(&mut reader)
        .unwrap_err();
    assert!(
        error_line(&refused).starts_with("READONLY You can't write against a reader endpoint"),
        "{}",
        error_line(&refused)
    );
    // redis-cli, too.
    let output = Command::new("redis-cli")
        .args(["-p", &router.smart.to_string(), "get", "k"])
        .output()
        .expect("redis-cli runs");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "v\n");
    assert_eq!(q::<String>(&mut smart, &["PING"]), "PONG");
    let info: String = q(&mut smart, &["INFO"]);
    assert!(info.contains("redis_version:7.0.15") && info.contains("endpoint:smart"));
}

#[test]
fn a_pipeline_mixing_reads_and_writes_keeps_its_order() {
    let (_group, router) = group_with_router(&[]);
    let mut con = router.connect(router.smart);
    let _: () = q(&mut con, &["SET", "base", "0"]);
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET").arg(format!("p{i}")).arg(i);
        pipe.cmd("GET").arg(format!("p{i}"));
        pipe.cmd("INCR").arg("counter");
        pipe.cmd("GET").arg("base");
        pipe.cmd("PING");
    }
    let replies: Vec<redis::Value> = pipe.query(&mut con).unwrap();
    assert_eq!(replies.len(), 1000);
    for i in 0..200 {
        let at = i * 5;
        assert_eq!(replies[at], redis::Value::Okay);
        assert_eq!(
            redis::from_redis_value::<String>(&replies[at + 1]).unwrap(),
            i.to_string(),
            "a read after its write in the same pipeline"
        );
        assert_eq!(
            redis::from_redis_value::<i64>(&replies[at + 2]).unwrap(),
            i as i64 + 1
        );
        assert_eq!(
            redis::from_redis_value::<String>(&replies[at + 3]).unwrap(),
            "0"
        );
    }
}

#[test]
fn reads_spread_across_the_replicas() {
    let (group, router) = group_with_router(&[]);
    let mut reader = router.connect(router.reader);
    let before: Vec<i64> = ["n2", "n3"]
        .iter()
        .map(|n| commands_processed(&group, n))
        .collect();
    for _ in 0..400 {
        let _: Option<String> = q(&mut reader, &["GET", "nothing"]);
    }
    let after: Vec<i64> = ["n2", "n3"]
        .iter()
        .map(|n| commands_processed(&group, n))
        .collect();
    for (node, (a, b)) in ["n2", "n3"].iter().zip(after.iter().zip(&before)) {
        // Each replica served a fair share (the INFO calls themselves count a few).
        assert!(a - b >= 100, "{node} served only {} of 400 reads", a - b);
    }
}

#[test]
fn read_your_writes_holds_under_load() {
    let (_group, router) = group_with_router(&[]);
    let stop = Arc::new(AtomicBool::new(false));
    // Background writers keep the replicas a little behind.
    let noise: Vec<_> = (0..2)
        .map(|t| {
            let mut con = router.connect(router.primary);
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let _: () = q(&mut con, &["SET", &format!("noise{t}:{}", i % 1000), "x"]);
                    i += 1;
                }
            })
        })
        .collect();
    let mut con = router.connect(router.smart);
    for i in 0..2000 {
        let _: () = q(&mut con, &["SET", "mine", &i.to_string()]);
        let read: String = q(&mut con, &["GET", "mine"]);
        assert_eq!(read, i.to_string(), "a read after a write saw stale data");
        if i % 3 == 0 {
            // Reads with no write between them may go to replicas again.
            let again: String = q(&mut con, &["GET", "mine"]);
            assert_eq!(again, i.to_string());
        }
    }
    stop.store(true, Ordering::Relaxed);
    noise.into_iter().for_each(|t| t.join().unwrap());
    let info: String = q(&mut con, &["INFO", "router"]);
    assert!(info.contains("replica0"), "{info}");
}

#[test]
fn transactions_and_watch_go_through_the_router() {
    let (_group, router) = group_with_router(&[]);
    let mut con = router.connect(router.smart);
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("tx")
        .cmd("INCRBY")
        .arg("tx")
        .arg(10)
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b), (1, 11));
    // WATCH, a change by another client, EXEC aborts.
    let mut other = router.connect(router.smart);
    let _: () = q(&mut con, &["WATCH", "tx"]);
    let _: () = q(&mut other, &["SET", "tx", "changed"]);
    let _: () = q(&mut con, &["MULTI"]);
    let queued: String = q(&mut con, &["SET", "tx", "mine"]);
    assert_eq!(queued, "QUEUED");
    let exec: redis::Value = q(&mut con, &["EXEC"]);
    assert_eq!(
        exec,
        redis::Value::Nil,
        "EXEC aborted by the WATCHed change"
    );
    assert_eq!(q::<String>(&mut con, &["GET", "tx"]), "changed");
    // Blocking pops have a connection of their own and are served.
    let mut blocked = router.connect(router.smart);
    let waiter =
        std::thread::spawn(move || q::<Vec<String>>(&mut blocked, &["BLPOP", "jobs", "5"]));
    std::thread::sleep(Duration::from_millis(200));
    let _: () = q(&mut other, &["RPUSH", "jobs", "j1"]);
    assert_eq!(waiter.join().unwrap(), ["jobs", "j1"]);
    // WAIT counts the replicas holding this client's writes.
    let _: () = q(&mut con, &["SET", "waited", "1"]);
    assert_eq!(q::<i64>(&mut con, &["WAIT", "2", "5000"]), 2);
}

#[test]
fn the_router_asks_for_its_password_and_refuses_bad_input() {
    let (_group, router) = group_with_router(&["--requirepass", "s3cret", "--maxclients", "8"]);
    let mut con = redis::Client::open(format!("redis://127.0.0.1:{}", router.smart))
        .unwrap()
        .get_connection()
        .unwrap();
    let refused = redis::cmd("GET")
        .arg("k")
        .query::<()>(&mut con)
        .unwrap_err();
    assert_eq!(error_line(&refused), "NOAUTH Authentication required.");
    let wrong = redis::cmd("AUTH")
        .arg("nope")
        .query::<()>(&mut con)
        .unwrap_err();
    assert!(error_line(&wrong).starts_with("WRONGPASS"));
    let _: () = q(&mut con, &["AUTH", "s3cret"]);
    let _: () = q(&mut con, &["SET", "k", "v"]);
    // Malformed protocol: an error, then the connection is closed.
    use std::io::{Read, Write};
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", router.smart)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    raw.write_all(b"*1\r\n$x\r\n").unwrap();
    let mut reply = Vec::new();
    let _ = raw.read_to_end(&mut reply);
    assert!(
        String::from_utf8_lossy(&reply).starts_with("-ERR Protocol error"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    // maxclients: the ninth connection is told so.
    let extra: Vec<_> = (0..8)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", router.smart)).unwrap())
        .collect();
    let mut over = std::net::TcpStream::connect(("127.0.0.1", router.smart)).unwrap();
    over.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reply = Vec::new();
    let _ = over.read_to_end(&mut reply);
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "-ERR max number of clients reached\r\n"
    );
    drop(extra);
    // Prometheus metrics are served.
    let metrics = http_get(router.metrics, "/metrics");
    assert!(metrics.contains("rgroup_router_requests_total{endpoint=\"smart\",class=\"write\"}"));
    assert!(metrics.contains("rgroup_router_backend_up{node=\"n1\",role=\"primary\"} 1"));
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).unwrap();
    body
}

#[test]
fn a_failover_under_load_keeps_client_connections_and_subscriptions() {
    let (mut group, router) = group_with_router(&["--failover-hold-ms", "10000"]);
    // A subscriber through the router.
    let client = redis::Client::open(router.url(router.smart)).unwrap();
    let mut subscriber = client.get_connection().unwrap();
    let mut pubsub = subscriber.as_pubsub();
    pubsub.subscribe("news").unwrap();
    pubsub
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut publisher = router.connect(router.smart);
    assert_eventually!(q::<i64>(&mut publisher, &["PUBLISH", "news", "before"]) == 1);
    let message: String = pubsub.get_message().unwrap().get_payload().unwrap();
    assert_eq!(message, "before");

    // A writer on one connection, through the failover.
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes: Arc<Mutex<Vec<Result<u64, String>>>> = Arc::default();
    let writer = {
        let mut con = router.connect(router.smart);
        let (stop, outcomes) = (stop.clone(), outcomes.clone());
        std::thread::spawn(move || {
            for i in 0u64.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let outcome = redis::cmd("SET")
                    .arg(format!("w{i}"))
                    .arg(i)
                    .query::<()>(&mut con)
                    .map(|_| i)
                    .map_err(|e| error_line(&e));
                let broken = outcome
                    .as_ref()
                    .is_err_and(|e| e.starts_with("not a server error"));
                outcomes.lock().unwrap().push(outcome);
                if broken {
                    return; // the connection itself failed: the test says so below
                }
            }
        })
    };
    assert_eventually!(outcomes.lock().unwrap().len() >= 200);
    group.kill_node("n1");
    assert_eventually!(group.only_primary(&["n2", "n3"]).is_some(), FAILOVER);
    let before = outcomes.lock().unwrap().len();
    assert_eventually!(outcomes.lock().unwrap().len() >= before + 200, FAILOVER);
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();

    let outcomes = outcomes.lock().unwrap().clone();
    let errors: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    for error in &errors {
        assert!(
            error.starts_with("CONNLOST")
                || error.starts_with("NOPRIMARY")
                || error.starts_with("NOBACKEND"),
            "unexpected error through a failover: {error}"
        );
    }
    assert!(
        errors.len() <= 2,
        "only writes in flight at the kill may fail: {errors:?}"
    );
    // Writes after the failover landed on the new primary.
    let primary = group.only_primary(&["n2", "n3"]).unwrap();
    let last = outcomes
        .iter()
        .rev()
        .find_map(|o| o.as_ref().ok())
        .copied()
        .unwrap();
    assert_eq!(
        q::<Option<u64>>(&mut group.connect(&primary), &["GET", &format!("w{last}")]),
        Some(last)
    );
    // The subscription survived: a message published after the failover arrives.
    assert_eventually!(
        q::<i64>(&mut publisher, &["PUBLISH", "news", "after"]) == 1,
        FAILOVER
    );
    let message: String = pubsub.get_message().unwrap().get_payload().unwrap();
    assert_eq!(message, "after");
}

#[test]
fn a_hung_replica_costs_errors_not_a_hang() {
    let (group, router) = group_with_router(&["--backend-timeout-ms", "500"]);
    let mut reader = router.connect(router.reader);
    reader
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    group.nodes["n2"].signal("STOP");
    let mut errors = Vec::new();
    for _ in 0..50 {
        // Every read answers (a timeout of the redis crate would be an Err without a code).
        match redis::cmd("GET")
            .arg("k")
            .query::<Option<String>>(&mut reader)
        {
            Ok(_) => {}
            Err(error) => errors.push(error_line(&error)),
        }
    }
    group.nodes["n2"].signal("CONT");
    for error in &errors {
        assert!(error.starts_with("CONNLOST"), "{error}");
    }
    // Once the router saw n2 stop, reads went to n3 only.
    assert_eventually!(redis::cmd("GET")
        .arg("k")
        .query::<Option<String>>(&mut reader)
        .is_ok());
}
