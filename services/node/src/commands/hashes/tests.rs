use rg_resp::Protocol;

use crate::commands::testing::{bulk, bulks, TestNode};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

fn int(value: i64) -> Reply {
    Reply::Int(value)
}

fn err(line: &str) -> Reply {
    Reply::Error(CmdError::Line(line.to_string().into()))
}

fn wrongtype() -> Reply {
    Reply::Error(CmdError::WrongType)
}

/// A node holding hash `h` = {a: 1, b: 2} and a string `str`, with no records pending.
fn node() -> TestNode {
    let mut node = TestNode::new();
    node.run(&["HSET", "h", "a", "1", "b", "2"]);
    let access = node.engine.access_stamp(node.now);
    node.engine.dbs[0]
        .keys
        .insert(b"str", Value::Str(SmallBytes::new(b"x")), access);
    node.records();
    node
}

/// Field-value pairs of a flat array, sorted by field.
fn sorted_pairs(reply: Reply) -> Vec<(String, String)> {
    let Reply::Array(items) = reply else {
        panic!("not an array: {reply:?}")
    };
    let texts: Vec<String> = items.into_iter().map(text).collect();
    let mut pairs: Vec<(String, String)> = texts
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    pairs.sort();
    pairs
}

fn text(reply: Reply) -> String {
    match reply {
        Reply::Bulk(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        other => panic!("not a bulk: {other:?}"),
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect()
}

#[test]
fn hset_counts_new_fields_and_hmset_answers_ok() {
    let mut node = TestNode::new();
    assert_eq!(
        node.run(&["HSET", "h", "a", "1", "b", "2", "a", "3"]),
        int(2)
    );
    assert_eq!(node.run(&["HGET", "h", "a"]), bulk("3"));
    assert_eq!(node.run(&["HSET", "h", "a", "1"]), int(0));
    assert_eq!(node.run(&["hmset", "h", "c", "3"]), Reply::Ok);
    assert_eq!(
        node.records(),
        vec![
            vec!["HSET", "h", "a", "1", "b", "2", "a", "3"],
            vec!["HSET", "h", "a", "1"],
            vec!["hmset", "h", "c", "3"],
        ]
    );
    assert_eq!(node.run(&["HLEN", "h"]), int(3));
}

#[test]
fn hset_arity_is_checked_before_the_type() {
    let mut node = node();
    assert_eq!(
        node.run(&["HSET", "str", "a", "1", "b"]),
        Reply::Error(CmdError::WrongArity("hset".into()))
    );
    assert_eq!(
        node.run(&["HMSET", "h", "a", "1", "b"]),
        Reply::Error(CmdError::WrongArity("hmset".into()))
    );
    assert_eq!(node.run(&["HSET", "str", "a", "1"]), wrongtype());
    assert!(node.records().is_empty());
}

#[test]
fn hsetnx_sets_only_missing_fields() {
    let mut node = node();
    assert_eq!(node.run(&["HSETNX", "h", "a", "9"]), int(0));
    assert_eq!(node.run(&["HSETNX", "h", "c", "3"]), int(1));
    assert_eq!(node.run(&["HSETNX", "new", "f", "v"]), int(1));
    assert_eq!(node.run(&["HGET", "h", "a"]), bulk("1"));
    assert_eq!(
        node.records(),
        vec![
            vec!["HSETNX", "h", "c", "3"],
            vec!["HSETNX", "new", "f", "v"]
        ]
    );
    assert_eq!(node.run(&["HSETNX", "str", "f", "v"]), wrongtype());
}

#[test]
fn reads() {
    let mut node = node();
    assert_eq!(node.run(&["HGET", "h", "zz"]), Reply::Nil);
    assert_eq!(node.run(&["HGET", "nokey", "a"]), Reply::Nil);
    assert_eq!(
        node.run(&["HMGET", "h", "a", "zz", "b"]),
        Reply::Array(vec![bulk("1"), Reply::Nil, bulk("2")])
    );
    assert_eq!(
        node.run(&["HMGET", "nokey", "a"]),
        Reply::Array(vec![Reply::Nil])
    );
    assert_eq!(node.run(&["HLEN", "nokey"]), int(0));
    assert_eq!(node.run(&["HEXISTS", "h", "a"]), int(1));
    assert_eq!(node.run(&["HEXISTS", "h", "zz"]), int(0));
    assert_eq!(node.run(&["HSTRLEN", "h", "a"]), int(1));
    assert_eq!(node.run(&["HSTRLEN", "h", "zz"]), int(0));
    let mut keys = match node.run(&["HKEYS", "h"]) {
        Reply::Array(items) => items.into_iter().map(text).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    keys.sort();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(node.run(&["HVALS", "nokey"]), Reply::Array(vec![]));
    assert_eq!(node.run(&["HKEYS", "nokey"]), Reply::Array(vec![]));
    assert_eq!(node.run(&["HGETALL", "nokey"]), Reply::Map(vec![]));
    let Reply::Map(mut all) = node.run(&["HGETALL", "h"]) else {
        panic!("not a map")
    };
    all.sort_by_key(|(f, _)| text(f.clone()));
    assert_eq!(all, vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("2"))]);
    assert!(node.records().is_empty());
}

#[test]
fn every_command_refuses_other_types() {
    let mut node = node();
    for command in [
        &["HGET", "str", "a"][..],
        &["HMGET", "str", "a"],
        &["HDEL", "str", "a"],
        &["HGETALL", "str"],
        &["HKEYS", "str"],
        &["HVALS", "str"],
        &["HLEN", "str"],
        &["HEXISTS", "str", "a"],
        &["HINCRBY", "str", "a", "1"],
        &["HINCRBYFLOAT", "str", "a", "1"],
        &["HSTRLEN", "str", "a"],
        &["HRANDFIELD", "str"],
        &["HRANDFIELD", "str", "2"],
        &["HSCAN", "str", "0"],
    ] {
        assert_eq!(node.run(command), wrongtype(), "{command:?}");
    }
}

#[test]
fn hdel_removes_and_deletes_empty_hashes() {
    let mut node = node();
    assert_eq!(node.run(&["HDEL", "h", "a", "zz"]), int(1));
    assert_eq!(node.run(&["HDEL", "h", "zz"]), int(0));
    assert_eq!(node.run(&["HDEL", "nokey", "a"]), int(0));
    assert_eq!(node.records(), vec![vec!["HDEL", "h", "a", "zz"]]);
    assert_eq!(node.run(&["HDEL", "h", "b"]), int(1));
    assert!(node.engine.dbs[0].keys.get(b"h").is_none());
}

#[test]
fn hincrby() {
    let mut node = node();
    assert_eq!(node.run(&["HINCRBY", "h", "a", "10"]), int(11));
    assert_eq!(node.run(&["HINCRBY", "h", "new", "-3"]), int(-3));
    assert_eq!(node.run(&["HINCRBY", "fresh", "f", "5"]), int(5));
    assert_eq!(node.run(&["HGET", "h", "a"]), bulk("11"));
    assert_eq!(
        node.records(),
        vec![
            vec!["HINCRBY", "h", "a", "10"],
            vec!["HINCRBY", "h", "new", "-3"],
            vec!["HINCRBY", "fresh", "f", "5"],
        ]
    );
}

#[test]
fn hincrby_errors() {
    let mut node = node();
    node.run(&[
        "HSET",
        "h",
        "text",
        "abc",
        "big",
        "9223372036854775807",
        "sp",
        " 1",
    ]);
    node.records();
    assert_eq!(
        node.run(&["HINCRBY", "h", "a", "x"]),
        Reply::Error(CmdError::NotInteger)
    );
    let not_integer = err("ERR hash value is not an integer");
    assert_eq!(node.run(&["HINCRBY", "h", "text", "1"]), not_integer);
    assert_eq!(node.run(&["HINCRBY", "h", "sp", "1"]), not_integer);
    assert_eq!(
        node.run(&["HINCRBY", "h", "big", "1"]),
        Reply::Error(CmdError::Overflow)
    );
    assert_eq!(node.run(&["HGET", "h", "big"]), bulk("9223372036854775807"));
    assert!(node.records().is_empty());
}

#[test]
fn hincrbyfloat_records_the_result_as_hset() {
    let mut node = node();
    assert_eq!(node.run(&["HINCRBYFLOAT", "h", "a", "0.5"]), bulk("1.5"));
    assert_eq!(node.run(&["HINCRBYFLOAT", "h", "a", "1.5"]), bulk("3"));
    assert_eq!(
        node.run(&["HINCRBYFLOAT", "h", "n", "-2.25"]),
        bulk("-2.25")
    );
    assert_eq!(node.run(&["HINCRBYFLOAT", "h", "b", "5.0e3"]), bulk("5002"));
    assert_eq!(
        node.records(),
        vec![
            vec!["HSET", "h", "a", "1.5"],
            vec!["HSET", "h", "a", "3"],
            vec!["HSET", "h", "n", "-2.25"],
            vec!["HSET", "h", "b", "5002"],
        ]
    );
}

#[test]
fn hincrbyfloat_errors() {
    let mut node = node();
    node.run(&["HSET", "h", "text", "abc", "max", "1.7e308"]);
    node.records();
    assert_eq!(
        node.run(&["HINCRBYFLOAT", "h", "a", "x"]),
        Reply::Error(CmdError::NotFloat)
    );
    assert_eq!(
        node.run(&["HINCRBYFLOAT", "h", "a", "inf"]),
        err("ERR value is NaN or Infinity")
    );
    assert_eq!(
        node.run(&["HINCRBYFLOAT", "h", "text", "1"]),
        err("ERR hash value is not a float")
    );
    assert_eq!(
        node.run(&["HINCRBYFLOAT", "h", "max", "1.7e308"]),
        err("ERR increment would produce NaN or Infinity")
    );
    assert!(node.records().is_empty());
    assert_eq!(
        node.run(&["HINCRBYFLOAT", "nokey", "f", "inf"]),
        err("ERR value is NaN or Infinity")
    );
    assert!(node.engine.dbs[0].keys.get(b"nokey").is_none());
}

#[test]
fn hrandfield_single_and_counts() {
    let mut node = node();
    let field = text(node.run(&["HRANDFIELD", "h"]));
    assert!(field == "a" || field == "b");
    assert_eq!(node.run(&["HRANDFIELD", "nokey"]), Reply::Nil);
    assert_eq!(
        node.run(&["HRANDFIELD", "nokey", "2"]),
        Reply::Array(vec![])
    );
    assert_eq!(node.run(&["HRANDFIELD", "h", "0"]), Reply::Array(vec![]));
    assert_eq!(
        sorted_pairs(node.run(&["HRANDFIELD", "h", "5", "WITHVALUES"])),
        pairs(&[("a", "1"), ("b", "2")])
    );
    let Reply::Array(one) = node.run(&["HRANDFIELD", "h", "1"]) else {
        panic!()
    };
    assert_eq!(one.len(), 1);
    let Reply::Array(repeated) = node.run(&["HRANDFIELD", "h", "-5", "withvalues"]) else {
        panic!()
    };
    assert_eq!(repeated.len(), 10);
    let Reply::Array(repeated) = node.run(&["HRANDFIELD", "h", "-5"]) else {
        panic!()
    };
    assert_eq!(repeated.len(), 5);
}

#[test]
fn hrandfield_withvalues_pairs_up_in_resp3() {
    let mut node = node();
    node.session.protocol = Protocol::Resp3;
    let Reply::Array(items) = node.run(&["HRANDFIELD", "h", "2", "WITHVALUES"]) else {
        panic!()
    };
    let mut items: Vec<Reply> = items;
    items.sort_by_key(|pair| format!("{pair:?}"));
    assert_eq!(items, vec![bulks(&["a", "1"]), bulks(&["b", "2"])]);
}

#[test]
fn hrandfield_errors() {
    let mut node = node();
    assert_eq!(
        node.run(&["HRANDFIELD", "h", "x"]),
        Reply::Error(CmdError::NotInteger)
    );
    assert_eq!(
        node.run(&["HRANDFIELD", "str", "x"]),
        Reply::Error(CmdError::NotInteger)
    );
    assert_eq!(
        node.run(&["HRANDFIELD", "h", "1", "WITHVALUE"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["HRANDFIELD", "h", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        node.run(&["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"]),
        err("ERR value is out of range")
    );
}

#[test]
fn hscan_returns_pairs_and_filters_fields() {
    let mut node = node();
    let Reply::Array(parts) = node.run(&["HSCAN", "h", "0"]) else {
        panic!()
    };
    assert_eq!(parts[0], bulk("0"));
    assert_eq!(
        sorted_pairs(parts[1].clone()),
        pairs(&[("a", "1"), ("b", "2")])
    );
    assert_eq!(
        node.run(&["HSCAN", "h", "0", "MATCH", "b"]),
        Reply::Array(vec![bulk("0"), bulks(&["b", "2"])])
    );
    assert_eq!(
        node.run(&["HSCAN", "nokey", "0", "JUNK"]),
        Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
    );
    assert_eq!(node.run(&["HSCAN", "h", "x"]), err("ERR invalid cursor"));
    assert_eq!(
        node.run(&["HSCAN", "h", "0", "COUNT", "0"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["HSCAN", "h", "0", "TYPE", "hash"]),
        Reply::Error(CmdError::Syntax)
    );
}

#[test]
fn hscan_pages_large_hashes() {
    let mut node = TestNode::new();
    let mut command = vec!["HSET".to_string(), "big".into()];
    for i in 0..500 {
        command.push(format!("f{i}"));
        command.push(format!("v{i}"));
    }
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    assert_eq!(node.run(&command), int(500));
    let (mut cursor, mut calls, mut seen) = ("0".to_string(), 0, Vec::new());
    loop {
        let Reply::Array(parts) = node.run(&["HSCAN", "big", &cursor]) else {
            panic!()
        };
        seen.extend(sorted_pairs(parts[1].clone()));
        calls += 1;
        cursor = text(parts[0].clone());
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 1);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 500);
    assert!(seen.iter().all(|(f, v)| f[1..] == v[1..]));
}

#[test]
fn fields_and_values_are_binary() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["HSET", "h", "f\r\n\0", "v\u{e9}"]), int(1));
    assert_eq!(node.run(&["HGET", "h", "f\r\n\0"]), bulk("v\u{e9}"));
}
