//! Key expiry, lazy (a read of an expired key) and active (the background cycle reclaims keys
//! nobody reads). https://redis.io/commands/expire/#how-redis-expires-keys

use redis::Connection;
use rg_testkit::{assert_eventually, Node};

use crate::support::{connect, dbsize, info_field, info_int, q};

/// Sets `count` keys named `<prefix><i>` with a PX expiry, in one pipeline.
fn set_with_px(con: &mut Connection, prefix: &str, count: usize, px: u64) {
    let mut pipe = redis::pipe();
    for i in 0..count {
        pipe.cmd("SET")
            .arg(format!("{prefix}{i}"))
            .arg("v")
            .arg("PX")
            .arg(px)
            .ignore();
    }
    let _: () = pipe.query(con).expect("the SETs succeed");
}

#[test]
fn an_expired_key_reads_as_missing() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "short", "v", "PX", "50"]);
    let _: () = q(&mut con, &["SET", "stays", "v"]);
    assert!(q::<i64>(&mut con, &["PTTL", "short"]) > 0);
    assert_eventually!(q::<Option<String>>(&mut con, &["GET", "short"]).is_none());
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "short"]), 0);
    assert_eq!(q::<i64>(&mut con, &["TTL", "short"]), -2);
    assert_eq!(q::<String>(&mut con, &["GET", "stays"]), "v");
    assert!(info_int(&mut con, "stats", "expired_keys") >= 1);
}

#[test]
fn an_expired_key_of_another_type_reads_as_missing() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["RPUSH", "list", "a"]);
    let _: () = q(&mut con, &["PEXPIRE", "list", "50"]);
    assert_eventually!(q::<i64>(&mut con, &["LLEN", "list"]) == 0);
    // The name is free for a value of any type again.
    let _: () = q(&mut con, &["SET", "list", "now a string"]);
    assert_eq!(q::<String>(&mut con, &["GET", "list"]), "now a string");
}

#[test]
fn active_expiry_reclaims_keys_nobody_reads() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    set_with_px(&mut con, "gone:", 10_000, 100);
    let _: () = q(&mut con, &["SELECT", "1"]);
    set_with_px(&mut con, "gone-too:", 1_000, 100);
    let _: () = q(&mut con, &["SELECT", "0"]);
    // Only DBSIZE and INFO from here on: they count keys without touching them.
    assert_eventually!(dbsize(&mut con) == 0, std::time::Duration::from_secs(20));
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eventually!(dbsize(&mut con) == 0, std::time::Duration::from_secs(20));
    assert_eq!(info_field(&mut con, "keyspace", "db0"), None);
    assert_eq!(info_field(&mut con, "keyspace", "db1"), None);
    assert!(info_int(&mut con, "stats", "expired_keys") >= 11_000);
}

#[test]
fn active_expiry_leaves_keys_that_are_not_due() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    set_with_px(&mut con, "short:", 5_000, 100);
    set_with_px(&mut con, "long:", 100, 3_600_000);
    let _: () = q(&mut con, &["SET", "forever", "v"]);
    assert_eventually!(dbsize(&mut con) == 101, std::time::Duration::from_secs(20));
    let db0 = info_field(&mut con, "keyspace", "db0").expect("db0 still has keys");
    assert!(db0.starts_with("keys=101,expires=100"), "{db0}");
}
