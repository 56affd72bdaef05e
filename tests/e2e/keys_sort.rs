//! SORT, SORT_RO, MOVE, SUBSTR and LCS with a real client, replies as Redis 7.0.15 gives
//! them: https://redis.io/commands/sort/ https://redis.io/commands/move/
//! https://redis.io/commands/lcs/

use redis::Value;
use rg_testkit::{assert_eventually, Node};

use crate::replication::{converged, Group, CONVERGE};
use crate::support::{connect, err, q};

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn int_pair(a: i64, b: i64) -> Value {
    Value::Array(vec![Value::Int(a), Value::Int(b)])
}

fn with_data(con: &mut redis::Connection) {
    let _: () = q(con, &["RPUSH", "l", "3", "1", "2", "10"]);
    let _: () = q(con, &["MSET", "w_3", "30", "w_1", "10", "w_2", "20"]);
    let _: () = q(con, &["HSET", "h_1", "f", "x1"]);
    let _: () = q(con, &["HSET", "h_3", "f", "x3"]);
}

#[test]
fn sort_by_get_limit_and_store() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    with_data(&mut con);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["SORT", "l"]),
        ["1", "2", "3", "10"]
    );
    assert_eq!(
        q::<Vec<String>>(
            &mut con,
            &["SORT_RO", "l", "ALPHA", "DESC", "LIMIT", "0", "2"]
        ),
        ["3", "2"]
    );
    assert_eq!(
        q::<Vec<Option<String>>>(
            &mut con,
            &["SORT", "l", "BY", "w_*", "GET", "#", "GET", "h_*->f"]
        ),
        [
            Some("10"),
            None,
            Some("1"),
            Some("x1"),
            Some("2"),
            None,
            Some("3"),
            Some("x3")
        ]
        .map(|v| v.map(String::from))
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["SORT", "l", "BY", "nosort", "DESC"]),
        ["10", "2", "1", "3"]
    );
    assert_eq!(
        q::<i64>(&mut con, &["SORT", "l", "GET", "w_*", "STORE", "dst"]),
        4
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "dst", "0", "-1"]),
        ["10", "20", "30", ""]
    );
    let _: () = q(&mut con, &["RPUSH", "words", "b", "a"]);
    assert_eq!(
        err(&mut con, &["SORT", "words"]),
        "ERR One or more scores can't be converted into double"
    );
    assert_eq!(
        err(&mut con, &["SORT_RO", "l", "STORE", "d"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut con, &["SORT", "w_1"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn move_substr_and_lcs() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "k1", "ohmytext", "EX", "100"]);
    let _: () = q(&mut con, &["SET", "k2", "mynewtext"]);
    assert_eq!(q::<String>(&mut con, &["SUBSTR", "k1", "2", "3"]), "my");
    assert_eq!(q::<String>(&mut con, &["LCS", "k1", "k2"]), "mytext");
    assert_eq!(q::<i64>(&mut con, &["LCS", "k1", "k2", "LEN"]), 6);
    let idx: Value = q(
        &mut con,
        &["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
    );
    let matched = Value::Array(vec![int_pair(4, 7), int_pair(5, 8), Value::Int(4)]);
    assert_eq!(
        idx,
        Value::Array(vec![
            bulk("matches"),
            Value::Array(vec![matched]),
            bulk("len"),
            Value::Int(6),
        ])
    );
    assert_eq!(
        err(&mut con, &["LCS", "k1", "k2", "LEN", "IDX"]),
        "ERR If you want both the length and indexes, please just use IDX."
    );
    assert_eq!(q::<i64>(&mut con, &["MOVE", "k1", "1"]), 1);
    assert_eq!(q::<i64>(&mut con, &["MOVE", "k1", "1"]), 0);
    assert_eq!(
        err(&mut con, &["MOVE", "k2", "0"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        err(&mut con, &["MOVE", "k2", "16"]),
        "ERR DB index is out of range"
    );
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(q::<String>(&mut con, &["GET", "k1"]), "ohmytext");
    let ttl: i64 = q(&mut con, &["TTL", "k1"]);
    assert!(
        (1..=100).contains(&ttl),
        "the expiry moved with the key: {ttl}"
    );
}

#[test]
fn a_replica_ends_with_what_sort_store_and_move_wrote() {
    let group = Group::new("keys-sort");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    let mut con = connect(&primary);
    with_data(&mut con);
    let _: () = q(&mut con, &["SADD", "s", "5", "30", "9"]);
    let _: i64 = q(&mut con, &["SORT", "s", "BY", "nosort", "STORE", "sorted"]);
    let _: i64 = q(
        &mut con,
        &["SORT", "l", "BY", "w_*", "DESC", "STORE", "byw"],
    );
    let _: i64 = q(&mut con, &["MOVE", "byw", "3"]);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    let mut rcon = connect(&replica);
    assert_eq!(
        q::<Vec<String>>(&mut rcon, &["LRANGE", "sorted", "0", "-1"]),
        ["30", "5", "9"]
    );
    let _: () = q(&mut rcon, &["SELECT", "3"]);
    assert_eq!(
        q::<Vec<String>>(&mut rcon, &["LRANGE", "byw", "0", "-1"]),
        ["3", "2", "1", "10"]
    );
}
