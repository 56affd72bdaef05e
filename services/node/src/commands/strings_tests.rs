use crate::commands::testing::{bulk, bulks, TestNode};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

fn error(reply: Reply) -> String {
    match reply {
        Reply::Error(e) => e.line().into_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn set_and_get_with_options() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["SET", "k", "v"]), Reply::Ok);
    assert_eq!(node.run(&["GET", "k"]), bulk("v"));
    assert_eq!(node.run(&["SET", "k", "w", "NX"]), Reply::Nil);
    assert_eq!(node.run(&["SET", "k", "w", "XX", "GET"]), bulk("v"));
    assert_eq!(node.run(&["SET", "other", "w", "XX"]), Reply::Nil);
    assert_eq!(node.run(&["GET", "missing"]), Reply::Nil);
    assert_eq!(
        node.run(&["SET", "k", "v", "NX", "XX"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        error(node.run(&["SET", "k", "v", "EX", "0"])),
        "ERR invalid expire time in 'set' command"
    );
}

#[test]
fn set_with_expiry_records_an_absolute_time() {
    let mut node = TestNode::new();
    node.run(&["SET", "k", "v", "EX", "10"]);
    let at = (node.now + 10_000).to_string();
    assert_eq!(
        node.records(),
        vec![vec!["SET", "k", "v", "PXAT", at.as_str()]]
    );
    assert_eq!(node.run(&["PTTL", "k"]), Reply::Int(10_000));
    node.run(&["SET", "k", "w", "KEEPTTL"]);
    assert_eq!(node.run(&["PTTL", "k"]), Reply::Int(10_000));
    node.run(&["SET", "k", "x"]);
    assert_eq!(node.run(&["PTTL", "k"]), Reply::Int(-1));
}

#[test]
fn expired_keys_vanish_and_their_deletion_is_recorded() {
    let mut node = TestNode::new();
    node.run(&["SET", "k", "v", "PX", "5"]);
    node.records();
    node.now += 10;
    assert_eq!(node.run(&["GET", "k"]), Reply::Nil);
    assert_eq!(node.records(), vec![vec!["DEL", "k"]]);
}

#[test]
fn counters_check_types_and_overflow() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["INCR", "n"]), Reply::Int(1));
    assert_eq!(node.run(&["INCRBY", "n", "41"]), Reply::Int(42));
    assert_eq!(node.run(&["DECRBY", "n", "2"]), Reply::Int(40));
    node.run(&["SET", "s", "abc"]);
    assert_eq!(node.run(&["INCR", "s"]), Reply::Error(CmdError::NotInteger));
    node.run(&["SET", "big", &i64::MAX.to_string()]);
    assert_eq!(node.run(&["INCR", "big"]), Reply::Error(CmdError::Overflow));
    node.run(&["LPUSH", "list", "a"]);
    assert_eq!(
        node.run(&["INCR", "list"]),
        Reply::Error(CmdError::WrongType)
    );
}

#[test]
fn incrbyfloat_stores_and_records_the_result() {
    let mut node = TestNode::new();
    node.run(&["SET", "f", "10.5"]);
    node.records();
    assert_eq!(node.run(&["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
    assert_eq!(node.records(), vec![vec!["SET", "f", "10.6", "KEEPTTL"]]);
    assert_eq!(
        error(node.run(&["INCRBYFLOAT", "f", "inf"])),
        "ERR increment would produce NaN or Infinity"
    );
}

#[test]
fn ranges_append_and_lengths() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["APPEND", "s", "Hello"]), Reply::Int(5));
    assert_eq!(node.run(&["APPEND", "s", " World"]), Reply::Int(11));
    assert_eq!(node.run(&["GETRANGE", "s", "0", "4"]), bulk("Hello"));
    assert_eq!(node.run(&["GETRANGE", "s", "-5", "-1"]), bulk("World"));
    assert_eq!(node.run(&["GETRANGE", "s", "5", "1"]), bulk(""));
    assert_eq!(node.run(&["SETRANGE", "s", "6", "Redis"]), Reply::Int(11));
    assert_eq!(node.run(&["GET", "s"]), bulk("Hello Redis"));
    assert_eq!(node.run(&["SETRANGE", "pad", "3", "x"]), Reply::Int(4));
    assert_eq!(
        node.run(&["GET", "pad"]),
        Reply::Bulk(bytes::Bytes::from_static(b"\0\0\0x"))
    );
    assert_eq!(node.run(&["STRLEN", "s"]), Reply::Int(11));
    assert_eq!(
        error(node.run(&["SETRANGE", "s", "-1", "x"])),
        "ERR offset is out of range"
    );
}

#[test]
fn multi_key_commands() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["MSET", "a", "1", "b", "2"]), Reply::Ok);
    assert_eq!(
        node.run(&["MGET", "a", "b", "c"]),
        Reply::Array(vec![bulk("1"), bulk("2"), Reply::Nil])
    );
    assert_eq!(node.run(&["MSETNX", "c", "3", "a", "9"]), Reply::Int(0));
    assert_eq!(node.run(&["MSETNX", "c", "3", "d", "4"]), Reply::Int(1));
    assert_eq!(
        error(node.run(&["MSET", "a", "1", "b"])),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(node.run(&["GETDEL", "a"]), bulk("1"));
    assert_eq!(node.run(&["GETDEL", "a"]), Reply::Nil);
    assert_eq!(node.run(&["GETSET", "b", "x"]), bulk("2"));
    let _ = bulks(&[]);
}

#[test]
fn getex_changes_expiry() {
    let mut node = TestNode::new();
    node.run(&["SET", "k", "v"]);
    assert_eq!(node.run(&["GETEX", "k", "PX", "500"]), bulk("v"));
    assert_eq!(node.run(&["PTTL", "k"]), Reply::Int(500));
    assert_eq!(node.run(&["GETEX", "k", "PERSIST"]), bulk("v"));
    assert_eq!(node.run(&["PTTL", "k"]), Reply::Int(-1));
    assert_eq!(
        node.run(&["GETEX", "k", "EX"]),
        Reply::Error(CmdError::Syntax)
    );
}
