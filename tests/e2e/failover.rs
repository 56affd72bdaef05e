//! Automatic failover with real sentinels, nodes and nats-server.

use std::time::Duration;

use rg_testkit::{assert_eventually, NatsServer, Node, Service};

use crate::support::{connect, info_field, q};

const SENTINELS: &str = "s1,s2,s3";

fn node(nats: &NatsServer, id: &str, follow: Option<&str>) -> Node {
    let url = nats.url();
    let mut args = vec![
        "--nats-url",
        &url,
        "--group",
        "ha",
        "--node-id",
        id,
        "--sentinels",
        SENTINELS,
    ];
    if let Some(primary) = follow {
        args.extend(["--replicaof", primary]);
    }
    Node::start(&args)
}

fn sentinel(nats: &NatsServer, id: &str, dir: &std::path::Path) -> Service {
    let url = nats.url();
    let dir = dir.display().to_string();
    Service::start(
        "rg-sentinel",
        &[
            "--id",
            id,
            "--nats-url",
            &url,
            "--group",
            "ha",
            "--sentinels",
            SENTINELS,
            "--down-after-ms",
            "500",
            "--failover-timeout-ms",
            "3000",
            "--state-dir",
            &dir,
            "--log-level",
            "debug",
        ],
    )
}

fn role(node: &Node) -> Option<String> {
    let mut con = redis::Client::open(node.url())
        .ok()?
        .get_connection()
        .ok()?;
    info_field(&mut con, "replication", "role")
}

#[test]
fn killing_the_primary_promotes_a_replica_that_has_every_waited_write() {
    let nats = NatsServer::start();
    let state = tempfile::tempdir().unwrap();
    let n1 = node(&nats, "n1", None);
    let n2 = node(&nats, "n2", Some("n1"));
    let n3 = node(&nats, "n3", Some("n1"));
    let _sentinels: Vec<Service> = ["s1", "s2", "s3"]
        .iter()
        .map(|id| sentinel(&nats, id, state.path()))
        .collect();
    let mut con = connect(&n1);
    assert_eventually!(crate::support::info_int(&mut con, "replication", "connected_slaves") == 2);
    for i in 0..300 {
        let _: () = q(&mut con, &["SET", &format!("k{i}"), &i.to_string()]);
    }
    assert!(q::<i64>(&mut con, &["WAIT", "1", "5000"]) >= 1);

    n1.signal("KILL");
    drop(n1);
    assert_eventually!(
        role(&n2).as_deref() == Some("master") || role(&n3).as_deref() == Some("master"),
        Duration::from_secs(20)
    );
    let (primary, replica) = if role(&n2).as_deref() == Some("master") {
        (&n2, &n3)
    } else {
        (&n3, &n2)
    };
    // Exactly one primary, in a newer epoch than the dead one's.
    assert_eq!(role(replica).as_deref(), Some("slave"));
    let mut new = connect(primary);
    for i in 0..300 {
        let value: Option<String> = q(&mut new, &["GET", &format!("k{i}")]);
        assert_eq!(
            value,
            Some(i.to_string()),
            "a write acknowledged with WAIT 1 was lost"
        );
    }
    // The new primary takes writes, and the other replica follows it.
    assert_eventually!(redis::cmd("SET")
        .arg("after")
        .arg("failover")
        .query::<()>(&mut new)
        .is_ok());
    assert_eventually!(
        q::<Option<String>>(&mut connect(replica), &["GET", "after"]).as_deref()
            == Some("failover"),
        Duration::from_secs(20)
    );
}

#[test]
fn a_paused_primary_comes_back_as_a_replica_without_taking_old_epoch_writes() {
    let nats = NatsServer::start();
    let state = tempfile::tempdir().unwrap();
    let n1 = node(&nats, "n1", None);
    let n2 = node(&nats, "n2", Some("n1"));
    let _sentinels: Vec<Service> = ["s1", "s2", "s3"]
        .iter()
        .map(|id| sentinel(&nats, id, state.path()))
        .collect();
    let mut old = connect(&n1);
    let _: () = q(&mut old, &["SET", "before", "pause"]);
    assert!(q::<i64>(&mut old, &["WAIT", "1", "5000"]) >= 1);

    n1.signal("STOP");
    assert_eventually!(
        role(&n2).as_deref() == Some("master"),
        Duration::from_secs(20)
    );
    n1.signal("CONT");
    // Back, it must not take a write as the old primary; it becomes a replica of n2.
    assert_eventually!(
        role(&n1).as_deref() == Some("slave"),
        Duration::from_secs(20)
    );
    let refused = redis::cmd("SET")
        .arg("stale")
        .arg("write")
        .query::<()>(&mut connect(&n1));
    assert!(refused.is_err(), "the old primary took a write");
    let _: () = q(&mut connect(&n2), &["SET", "after", "resume"]);
    assert_eventually!(
        q::<Option<String>>(&mut connect(&n1), &["GET", "after"]).as_deref() == Some("resume"),
        Duration::from_secs(20)
    );
}
