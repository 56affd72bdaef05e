//! The keyspace with a real client: https://redis.io/commands/?group=generic

use std::collections::HashSet;

use redis::Connection;
use rg_testkit::Node;

use crate::support::{connect, dbsize, err, q};

/// Every key SCAN returns for `extra` options (MATCH, COUNT, TYPE), following the cursor
/// until it comes back to 0.
fn scan_all(con: &mut Connection, extra: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let (next, batch): (String, Vec<String>) = q(con, &args);
        keys.extend(batch);
        if next == "0" {
            return keys;
        }
        cursor = next;
    }
}

fn set_many(con: &mut Connection, prefix: &str, count: usize) {
    let mut pipe = redis::pipe();
    for i in 0..count {
        pipe.cmd("SET").arg(format!("{prefix}{i}")).arg(i).ignore();
    }
    let _: () = pipe.query(con).expect("the pipeline of SETs succeeds");
}

#[test]
fn del_exists_and_type() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MSET", "a", "1", "b", "2"]);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "a", "a", "b", "missing"]), 3);
    assert_eq!(q::<i64>(&mut con, &["DEL", "a", "missing", "b"]), 2);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "a", "b"]), 0);
    let _: () = q(&mut con, &["SET", "s", "v"]);
    let _: () = q(&mut con, &["RPUSH", "l", "v"]);
    let _: () = q(&mut con, &["HSET", "h", "f", "v"]);
    let _: () = q(&mut con, &["SADD", "set", "v"]);
    let _: () = q(&mut con, &["ZADD", "z", "1", "v"]);
    let types = ["s", "l", "h", "set", "z", "missing"].map(|k| q::<String>(&mut con, &["TYPE", k]));
    assert_eq!(types, ["string", "list", "hash", "set", "zset", "none"]);
    assert_eq!(
        err(&mut con, &["DEL"]),
        "ERR wrong number of arguments for 'del' command"
    );
}

#[test]
fn rename_moves_the_value_and_its_ttl() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "a", "1", "EX", "100"]);
    let _: () = q(&mut con, &["RENAME", "a", "b"]);
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "a"]), None);
    assert_eq!(q::<String>(&mut con, &["GET", "b"]), "1");
    assert!(q::<i64>(&mut con, &["TTL", "b"]) > 0);
    assert_eq!(
        err(&mut con, &["RENAME", "missing", "x"]),
        "ERR no such key"
    );
    let _: () = q(&mut con, &["SET", "c", "3"]);
    assert_eq!(q::<i64>(&mut con, &["RENAMENX", "b", "c"]), 0);
    assert_eq!(q::<i64>(&mut con, &["RENAMENX", "b", "d"]), 1);
    assert_eq!(q::<String>(&mut con, &["GET", "d"]), "1");
}

#[test]
fn copy_respects_replace_and_db() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "src", "v"]);
    let _: () = q(&mut con, &["SET", "taken", "old"]);
    assert_eq!(q::<i64>(&mut con, &["COPY", "src", "dst"]), 1);
    assert_eq!(q::<String>(&mut con, &["GET", "dst"]), "v");
    assert_eq!(q::<i64>(&mut con, &["COPY", "src", "taken"]), 0);
    assert_eq!(q::<String>(&mut con, &["GET", "taken"]), "old");
    assert_eq!(q::<i64>(&mut con, &["COPY", "src", "taken", "REPLACE"]), 1);
    assert_eq!(q::<String>(&mut con, &["GET", "taken"]), "v");
    assert_eq!(q::<i64>(&mut con, &["COPY", "missing", "x"]), 0);
    assert_eq!(q::<i64>(&mut con, &["COPY", "src", "other", "DB", "1"]), 1);
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(q::<String>(&mut con, &["GET", "other"]), "v");
    // The copy is independent of the original.
    let _: () = q(&mut con, &["SELECT", "0"]);
    let _: () = q(&mut con, &["APPEND", "dst", "2"]);
    assert_eq!(q::<String>(&mut con, &["GET", "src"]), "v");
}

#[test]
fn expire_options_nx_xx_gt_lt() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "k", "v"]);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "100", "XX"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "100", "GT"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "100", "NX"]), 1);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "200", "NX"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "50", "GT"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "200", "GT"]), 1);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "300", "LT"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "150", "LT"]), 1);
    let ttl: i64 = q(&mut con, &["TTL", "k"]);
    assert!(
        (101..=150).contains(&ttl),
        "TTL after EXPIRE 150 LT is {ttl}"
    );
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "120", "XX"]), 1);
    assert_eq!(
        err(&mut con, &["EXPIRE", "k", "1", "NX", "XX"]),
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut con, &["EXPIRE", "k", "1", "GT", "LT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "missing", "100"]), 0);
}

#[test]
fn ttl_pttl_and_persist() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["TTL", "missing"]), -2);
    assert_eq!(q::<i64>(&mut con, &["PTTL", "missing"]), -2);
    let _: () = q(&mut con, &["SET", "k", "v"]);
    assert_eq!(q::<i64>(&mut con, &["TTL", "k"]), -1);
    assert_eq!(q::<i64>(&mut con, &["PERSIST", "k"]), 0);
    assert_eq!(q::<i64>(&mut con, &["PEXPIRE", "k", "100000"]), 1);
    let pttl: i64 = q(&mut con, &["PTTL", "k"]);
    assert!((1..=100_000).contains(&pttl), "PTTL is {pttl}");
    assert_eq!(q::<i64>(&mut con, &["PERSIST", "k"]), 1);
    assert_eq!(q::<i64>(&mut con, &["PTTL", "k"]), -1);
    // An expiry in the past deletes the key at once.
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "k", "-1"]), 1);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(
        err(&mut con, &["EXPIRE", "k"]),
        "ERR wrong number of arguments for 'expire' command"
    );
}

#[test]
fn keys_matches_glob_patterns() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(
        &mut con,
        &[
            "MSET", "user:1", "a", "user:2", "b", "user:10", "c", "order:1", "d",
        ],
    );
    let mut users: Vec<String> = q(&mut con, &["KEYS", "user:*"]);
    users.sort();
    assert_eq!(users, ["user:1", "user:10", "user:2"]);
    let mut single: Vec<String> = q(&mut con, &["KEYS", "user:?"]);
    single.sort();
    assert_eq!(single, ["user:1", "user:2"]);
    assert_eq!(q::<Vec<String>>(&mut con, &["KEYS", "*der*"]), ["order:1"]);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["KEYS", "user:[13]0"]),
        ["user:10"]
    );
    assert_eq!(q::<Vec<String>>(&mut con, &["KEYS", "*"]).len(), 4);
}

#[test]
fn scan_returns_every_key_of_a_few_thousand() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    set_many(&mut con, "key:", 3000);
    set_many(&mut con, "other:", 500);
    let seen: HashSet<String> = scan_all(&mut con, &["COUNT", "100"]).into_iter().collect();
    assert_eq!(seen.len(), 3500);
    for i in 0..3000 {
        assert!(
            seen.contains(&format!("key:{i}")),
            "SCAN never returned key:{i}"
        );
    }
    let matched: HashSet<String> = scan_all(&mut con, &["MATCH", "other:*", "COUNT", "50"])
        .into_iter()
        .collect();
    let expected: HashSet<String> = (0..500).map(|i| format!("other:{i}")).collect();
    assert_eq!(matched, expected);
    assert_eq!(err(&mut con, &["SCAN", "notacursor"]), "ERR invalid cursor");
}

#[test]
fn scan_type_filters_by_type() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    set_many(&mut con, "s:", 1000);
    for i in 0..200 {
        let _: () = q(&mut con, &["RPUSH", &format!("l:{i}"), "x"]);
    }
    let lists: HashSet<String> = scan_all(&mut con, &["TYPE", "list", "COUNT", "100"])
        .into_iter()
        .collect();
    let expected: HashSet<String> = (0..200).map(|i| format!("l:{i}")).collect();
    assert_eq!(lists, expected);
    let strings = scan_all(&mut con, &["TYPE", "string"]);
    assert_eq!(strings.iter().collect::<HashSet<_>>().len(), 1000);
    assert!(scan_all(&mut con, &["TYPE", "zset"]).is_empty());
}

#[test]
fn select_keeps_databases_apart_and_swapdb_swaps_them() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "k", "zero"]);
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "k"]), None);
    let _: () = q(&mut con, &["SET", "k", "one"]);
    let _: () = q(&mut con, &["SET", "only-in-1", "x"]);
    let _: () = q(&mut con, &["SELECT", "0"]);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "zero");
    let _: () = q(&mut con, &["SWAPDB", "0", "1"]);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "one");
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "only-in-1"]), 1);
    assert_eq!(dbsize(&mut con), 2);
    // Another connection sees the swap too: it is the data that moves, not the client.
    let mut other = connect(&node);
    assert_eq!(q::<String>(&mut other, &["GET", "k"]), "one");
    assert_eq!(
        err(&mut con, &["SELECT", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut con, &["SWAPDB", "0", "16"]),
        "ERR DB index is out of range"
    );
}

#[test]
fn flushdb_empties_one_database_and_flushall_all() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MSET", "a", "1", "b", "2"]);
    let _: () = q(&mut con, &["SELECT", "1"]);
    let _: () = q(&mut con, &["SET", "c", "3"]);
    let _: () = q(&mut con, &["FLUSHDB"]);
    assert_eq!(dbsize(&mut con), 0);
    let _: () = q(&mut con, &["SET", "c", "3"]);
    let _: () = q(&mut con, &["SELECT", "0"]);
    assert_eq!(dbsize(&mut con), 2);
    let _: () = q(&mut con, &["FLUSHALL"]);
    assert_eq!(dbsize(&mut con), 0);
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(dbsize(&mut con), 0);
}

#[test]
fn randomkey_returns_an_existing_key() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<Option<String>>(&mut con, &["RANDOMKEY"]), None);
    let _: () = q(&mut con, &["MSET", "a", "1", "b", "2", "c", "3"]);
    let mut seen = HashSet::new();
    for _ in 0..50 {
        let key: String = q(&mut con, &["RANDOMKEY"]);
        assert!(
            ["a", "b", "c"].contains(&key.as_str()),
            "RANDOMKEY returned {key}"
        );
        seen.insert(key);
    }
    assert!(!seen.is_empty());
}
