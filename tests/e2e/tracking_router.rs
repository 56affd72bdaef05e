//! Client-side caching in a group: through rg-router, CLIENT TRACKING ON keeps the client
//! on a connection of its own to the primary, whose invalidation pushes the router relays
//! (also long after the client's last command, and after a failover); what would bind or
//! pause node connections is refused with a reason. On a replica, the primary's writes
//! invalidate what the replica's clients read.

use std::time::Duration;

use crate::router::group_with_router;
use crate::support::{err, q};
use crate::tracking::Wire;

const INVALIDATE_K: &str = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n";

#[test]
fn invalidations_reach_a_tracking_client_through_the_router() {
    let (_group, router) = group_with_router(&[]);
    let mut tracker = Wire::open(router.smart, true);
    let mut writer = router.connect(router.smart);
    assert_eq!(tracker.call(&["CLIENT", "TRACKING", "ON"]), "+OK\r\n");
    assert_eq!(tracker.call(&["GET", "k"]), "_\r\n");
    q::<()>(&mut writer, &["SET", "k", "1"]);
    assert_eq!(tracker.frame(), INVALIDATE_K);
    assert_eq!(tracker.call(&["GET", "k"]), "$1\r\n1\r\n");
    // Idle for a while: the connection the router keeps for it still delivers.
    std::thread::sleep(Duration::from_millis(1500));
    q::<()>(&mut writer, &["SET", "k", "2"]);
    assert_eq!(tracker.frame(), INVALIDATE_K);
    let info = tracker.call(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.contains("$2\r\non\r\n"), "{info}");
    // Writes of its own go the same way, their replies before their invalidations.
    assert_eq!(tracker.call(&["GET", "k"]), "$1\r\n2\r\n");
    assert_eq!(tracker.call(&["SET", "k", "3"]), "+OK\r\n");
    assert_eq!(tracker.frame(), INVALIDATE_K);
    assert_eq!(tracker.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn bcast_tracking_works_through_the_router() {
    let (_group, router) = group_with_router(&[]);
    let mut tracker = Wire::open(router.smart, true);
    let mut writer = router.connect(router.smart);
    let on = ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:"];
    assert_eq!(tracker.call(&on), "+OK\r\n");
    q::<()>(&mut writer, &["SET", "other", "1"]);
    q::<()>(&mut writer, &["SET", "user:1", "1"]);
    assert_eq!(
        tracker.frame(),
        ">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n"
    );
}

#[test]
fn the_router_refuses_what_would_bind_or_pause_node_connections() {
    let (_group, router) = group_with_router(&[]);
    let mut con = router.connect(router.smart);
    for refused in [
        &["CLIENT", "TRACKING", "ON", "REDIRECT", "5"][..],
        &["CLIENT", "PAUSE", "100"],
        &["CLIENT", "PAUSE", "100", "WRITE"],
        &["CLIENT", "UNPAUSE"],
        &["CLIENT", "REPLY", "OFF"],
        &["CLIENT", "UNBLOCK", "5"],
    ] {
        let error = err(&mut con, refused);
        assert!(
            error.starts_with("ERR rgroup router: "),
            "{refused:?}: {error}"
        );
    }
    // Not tracking: these answer as any node connection would.
    assert_eq!(q::<i64>(&mut con, &["CLIENT", "GETREDIR"]), -1);
    q::<()>(&mut con, &["CLIENT", "TRACKING", "OFF"]);
    assert!(err(&mut con, &["CLIENT", "CACHING", "YES"]).contains("tracking mode"));
    assert_eq!(q::<String>(&mut con, &["SET", "k", "v"]), "OK");
}

/// After a failover the router turns tracking on again on the new primary and tells the
/// client to drop its whole cache (a null invalidation), as a flush would.
#[test]
fn tracking_survives_a_failover_with_an_invalidation_of_everything() {
    let (mut group, router) = group_with_router(&["--failover-hold-ms", "10000"]);
    let mut tracker = Wire::open(router.smart, true);
    assert_eq!(tracker.call(&["CLIENT", "TRACKING", "ON"]), "+OK\r\n");
    assert_eq!(tracker.call(&["GET", "k"]), "_\r\n");
    group.kill_node("n1");
    rg_testkit::assert_eventually!(
        group.only_primary(&["n2", "n3"]).is_some(),
        Duration::from_secs(20)
    );
    assert_eq!(tracker.frame(), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
    assert_eq!(tracker.call(&["GET", "k"]), "_\r\n");
    let mut writer = router.connect(router.smart);
    rg_testkit::assert_eventually!(
        crate::support::command(&["SET", "k", "1"])
            .query::<()>(&mut writer)
            .is_ok(),
        Duration::from_secs(20)
    );
    assert_eq!(tracker.frame(), INVALIDATE_K);
}

/// A replica applies the primary's stream through the same commands: a client tracking
/// keys it read on the replica hears of the primary's writes.
#[test]
fn a_replica_invalidates_keys_its_clients_read_when_the_primary_writes() {
    let group = crate::replication::Group::new("tracking");
    let primary = group.node("p", None, &[]);
    let replica = group.node("r", Some("p"), &[]);
    let mut writer = crate::support::connect(&primary);
    let mut check = crate::support::connect(&replica);
    q::<()>(&mut writer, &["SET", "k", "0"]);
    rg_testkit::assert_eventually!(q::<Option<String>>(&mut check, &["GET", "k"]).is_some());
    let mut tracker = Wire::open(replica.port, true);
    assert_eq!(tracker.call(&["CLIENT", "TRACKING", "ON"]), "+OK\r\n");
    assert_eq!(tracker.call(&["GET", "k"]), "$1\r\n0\r\n");
    q::<()>(&mut writer, &["SET", "k", "1"]);
    assert_eq!(tracker.frame(), INVALIDATE_K);
}
