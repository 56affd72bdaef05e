//! SORT and SORT_RO against an engine with no network; expected replies were checked
//! against Redis 7.0.15.

use crate::commands::testing::{bulk, bulks, TestNode};
use crate::engine::reply::Reply;

fn node() -> TestNode {
    let mut n = TestNode::new();
    n.run(&["RPUSH", "l", "3", "1", "2", "10"]);
    n.run(&["RPUSH", "la", "b", "a", "c"]);
    n.run(&["MSET", "w_3", "30", "w_1", "10", "w_2", "20"]);
    n.run(&["HSET", "h_1", "f", "x1"]);
    n.run(&["HSET", "h_3", "f", "x3"]);
    n.records();
    n
}

fn error(reply: Reply) -> String {
    match reply {
        Reply::Error(e) => e.line().into_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn sorts_numbers_text_and_limits() {
    let mut n = node();
    assert_eq!(n.run(&["SORT", "l"]), bulks(&["1", "2", "3", "10"]));
    assert_eq!(
        n.run(&["SORT", "l", "DESC", "LIMIT", "1", "2"]),
        bulks(&["3", "2"])
    );
    assert_eq!(
        n.run(&["SORT", "l", "LIMIT", "-5", "-1"]),
        bulks(&["1", "2", "3", "10"])
    );
    assert_eq!(n.run(&["SORT", "l", "LIMIT", "10", "2"]), bulks(&[]));
    assert_eq!(
        n.run(&["SORT_RO", "la", "ALPHA", "DESC"]),
        bulks(&["c", "b", "a"])
    );
    assert_eq!(
        error(n.run(&["SORT", "la"])),
        "ERR One or more scores can't be converted into double"
    );
    assert_eq!(n.run(&["SORT", "none"]), bulks(&[]));
}

#[test]
fn by_and_get_patterns_read_keys_and_hash_fields() {
    let mut n = node();
    let reply = n.run(&[
        "SORT", "l", "BY", "w_*", "GET", "#", "GET", "h_*->f", "GET", "x",
    ]);
    let expected = [
        bulk("10"),
        Reply::Nil,
        Reply::Nil,
        bulk("1"),
        bulk("x1"),
        Reply::Nil,
        bulk("2"),
        Reply::Nil,
        Reply::Nil,
        bulk("3"),
        bulk("x3"),
        Reply::Nil,
    ];
    assert_eq!(reply, Reply::Array(expected.to_vec()));
    // Missing BY values sort first under ALPHA.
    assert_eq!(
        n.run(&["SORT", "l", "BY", "h_*->f", "ALPHA"]),
        bulks(&["2", "10", "1", "3"])
    );
    assert_eq!(
        n.run(&["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"]),
        bulks(&["2", "1"])
    );
}

#[test]
fn store_replaces_the_destination_and_records_the_result() {
    let mut n = node();
    assert_eq!(
        n.run(&["SORT", "l", "GET", "w_*", "STORE", "dst"]),
        Reply::Int(4)
    );
    assert_eq!(
        n.run(&["LRANGE", "dst", "0", "-1"]),
        bulks(&["10", "20", "30", ""])
    );
    let records = n.records();
    assert_eq!(records[0], ["DEL", "dst"]);
    assert_eq!(records[1], ["RPUSH", "dst", "10", "20", "30", ""]);
    assert_eq!(
        n.run(&["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"]),
        Reply::Int(0)
    );
    assert_eq!(n.run(&["EXISTS", "dst"]), Reply::Int(0));
    assert_eq!(n.records(), [["DEL", "dst"]]);
    // A set stored unsorted is sorted ALPHA, so the stored list does not depend on the
    // set's internal order.
    n.run(&["SADD", "s", "5", "30", "9"]);
    n.run(&["SORT", "s", "BY", "nosort", "STORE", "ds"]);
    assert_eq!(
        n.run(&["LRANGE", "ds", "0", "-1"]),
        bulks(&["30", "5", "9"])
    );
}

#[test]
fn errors_follow_redis() {
    let mut n = node();
    n.run(&["SET", "str", "x"]);
    assert_eq!(
        error(n.run(&["SORT_RO", "l", "STORE", "d"])),
        "ERR syntax error"
    );
    assert_eq!(
        error(n.run(&["SORT", "l", "LIMIT", "1"])),
        "ERR syntax error"
    );
    assert_eq!(
        error(n.run(&["SORT", "l", "LIMIT", "a", "1"])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(n.run(&["SORT", "str"])),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}
