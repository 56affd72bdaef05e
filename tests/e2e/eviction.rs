//! maxmemory: with an allkeys policy old keys make room for new ones; with noeviction
//! writes are refused. https://redis.io/docs/reference/eviction/

use redis::Connection;
use rg_testkit::Node;

use crate::support::{connect, dbsize, err, info_int, q};

const MB: usize = 1024 * 1024;
const MAXMEMORY: usize = 20 * MB;
/// How far above maxmemory used_memory may go: the write being served and buffers.
const SLACK: usize = 10 * MB;
const VALUE_LEN: usize = 10 * 1024;

/// Writes keys `key:<from>..key:<to>` of VALUE_LEN bytes, 100 per pipeline.
fn write_values(con: &mut Connection, from: usize, to: usize) -> redis::RedisResult<()> {
    let value = vec![b'x'; VALUE_LEN];
    for start in (from..to).step_by(100) {
        let mut pipe = redis::pipe();
        for i in start..(start + 100).min(to) {
            pipe.cmd("SET")
                .arg(format!("key:{i}"))
                .arg(&value[..])
                .ignore();
        }
        pipe.query::<()>(con)?;
    }
    Ok(())
}

#[test]
fn allkeys_lru_evicts_to_stay_under_maxmemory() {
    let node = Node::start(&["--maxmemory", "20mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut con = connect(&node);
    // 60 MB of values, three times the limit, checking memory as it goes.
    let written = 6_000;
    for from in (0..written).step_by(500) {
        write_values(&mut con, from, from + 500).expect("writes keep succeeding");
        let used = info_int(&mut con, "memory", "used_memory") as usize;
        assert!(
            used < MAXMEMORY + SLACK,
            "used_memory {used} after {} keys",
            from + 500
        );
    }
    let keys = dbsize(&mut con);
    assert!(
        keys > 0 && keys < written as i64,
        "DBSIZE is {keys} of {written} written"
    );
    assert!(info_int(&mut con, "stats", "evicted_keys") > 0);
    // The most recent write survived.
    assert_eq!(
        q::<i64>(&mut con, &["EXISTS", &format!("key:{}", written - 1)]),
        1
    );
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    // LRU idle times have a one-second clock (as in Redis), too coarse for a test this
    // short; LFU counters tell a key read a hundred times from keys written once.
    let node = Node::start(&["--maxmemory", "20mb", "--maxmemory-policy", "allkeys-lfu"]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "hot", "v"]);
    for _ in 0..100 {
        let _: Option<String> = q(&mut con, &["GET", "hot"]);
    }
    write_values(&mut con, 0, 6_000).expect("writes keep succeeding");
    assert!(info_int(&mut con, "stats", "evicted_keys") > 0);
    assert_eq!(
        q::<Option<String>>(&mut con, &["GET", "hot"]).as_deref(),
        Some("v")
    );
}

#[test]
fn noeviction_refuses_writes_over_maxmemory() {
    let node = Node::start(&["--maxmemory", "20mb", "--maxmemory-policy", "noeviction"]);
    let mut con = connect(&node);
    let value = "x".repeat(VALUE_LEN);
    let mut refused = None;
    // Far more than 20 MB if nothing is refused.
    for i in 0..10_000 {
        let key = format!("key:{i}");
        if let Err(error) = redis::cmd("SET")
            .arg(&key)
            .arg(&value)
            .query::<()>(&mut con)
        {
            refused = Some(crate::support::error_line(&error));
            break;
        }
    }
    let refused = refused.expect("a write was refused before 100 MB");
    assert!(
        refused.starts_with("OOM command not allowed when used memory > 'maxmemory'"),
        "{refused}"
    );
    assert_eq!(info_int(&mut con, "stats", "evicted_keys"), 0);
    // Reads and deletes still work; a delete makes room for writes again.
    assert_eq!(q::<String>(&mut con, &["GET", "key:0"]).len(), VALUE_LEN);
    let error = err(&mut con, &["SET", "more", &value]);
    assert!(error.starts_with("OOM "), "{error}");
    let _: () = q(&mut con, &["FLUSHALL"]);
    let _: () = q(&mut con, &["SET", "more", &value]);
}
