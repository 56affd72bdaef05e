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

/// The bulk strings of an array or set reply, sorted, since sets have no order.
fn sorted(reply: Reply) -> Vec<String> {
    let items = match reply {
        Reply::Array(items) | Reply::Set(items) => items,
        other => panic!("not a collection: {other:?}"),
    };
    let mut texts: Vec<String> = items
        .into_iter()
        .map(|item| match item {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect();
    texts.sort();
    texts
}

fn node_with(sets: &[(&str, &[&str])]) -> TestNode {
    let mut node = TestNode::new();
    for (key, members) in sets {
        let mut command = vec!["SADD", key];
        command.extend_from_slice(members);
        node.run(&command);
    }
    put_string(&mut node, "str");
    node.records();
    node
}

fn put_string(node: &mut TestNode, key: &str) {
    let access = node.engine.access_stamp(node.now);
    node.engine.dbs[0]
        .keys
        .insert(key.as_bytes(), Value::Str(SmallBytes::new(b"x")), access);
}

fn expire_now(node: &mut TestNode, key: &str) {
    let keys = &mut node.engine.dbs[0].keys;
    let slot = keys.find(key.as_bytes()).expect("key exists");
    keys.set_expiry(slot, 1);
}

#[test]
fn sadd_and_srem_count_changes_and_record_them() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["SADD", "s", "a", "b", "a"]), int(2));
    assert_eq!(node.run(&["SADD", "s", "a"]), int(0));
    assert_eq!(node.records(), vec![vec!["SADD", "s", "a", "b", "a"]]);
    assert_eq!(node.run(&["SREM", "s", "a", "zz"]), int(1));
    assert_eq!(node.run(&["SREM", "s", "zz"]), int(0));
    assert_eq!(node.run(&["SREM", "nokey", "a"]), int(0));
    assert_eq!(node.records(), vec![vec!["SREM", "s", "a", "zz"]]);
    assert_eq!(node.run(&["SREM", "s", "b"]), int(1));
    assert!(
        node.engine.dbs[0].keys.get(b"s").is_none(),
        "empty set deleted"
    );
}

#[test]
fn wrong_types_are_refused() {
    let mut node = TestNode::new();
    put_string(&mut node, "str");
    for command in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "1"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "1"],
        &["SINTER", "nokey", "str"],
        &["SUNION", "str"],
        &["SDIFF", "nokey", "str"],
        &["SINTERSTORE", "d", "nokey", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SSCAN", "str", "0", "BADOPTION"],
    ] {
        assert_eq!(node.run(command), wrongtype(), "{command:?}");
    }
    assert!(node.records().is_empty());
}

#[test]
fn membership_queries() {
    let mut node = node_with(&[("s", &["a", "b"])]);
    assert_eq!(sorted(node.run(&["SMEMBERS", "s"])), ["a", "b"]);
    assert_eq!(node.run(&["SMEMBERS", "nokey"]), Reply::Set(vec![]));
    assert_eq!(node.run(&["SISMEMBER", "s", "a"]), int(1));
    assert_eq!(node.run(&["SISMEMBER", "s", "x"]), int(0));
    assert_eq!(node.run(&["SISMEMBER", "nokey", "a"]), int(0));
    assert_eq!(
        node.run(&["SMISMEMBER", "s", "a", "x"]),
        Reply::Array(vec![int(1), int(0)])
    );
    assert_eq!(
        node.run(&["SMISMEMBER", "nokey", "a"]),
        Reply::Array(vec![int(0)])
    );
    assert_eq!(node.run(&["SCARD", "s"]), int(2));
    assert_eq!(node.run(&["SCARD", "nokey"]), int(0));
}

#[test]
fn an_expired_set_reads_as_missing() {
    let mut node = node_with(&[("s", &["a"])]);
    expire_now(&mut node, "s");
    assert_eq!(node.run(&["SCARD", "s"]), int(0));
    assert_eq!(node.records(), vec![vec!["DEL", "s"]]);
}

#[test]
fn spop_one_records_srem() {
    let mut node = node_with(&[("s", &["a", "b"])]);
    let Reply::Bulk(first) = node.run(&["SPOP", "s"]) else {
        panic!("SPOP answered no member");
    };
    let first = String::from_utf8_lossy(&first).into_owned();
    assert_eq!(
        node.records(),
        vec![vec!["SREM".to_string(), "s".into(), first.clone()]]
    );
    assert_eq!(node.run(&["SCARD", "s"]), int(1));
    assert!(matches!(node.run(&["SPOP", "s"]), Reply::Bulk(_)));
    assert!(node.engine.dbs[0].keys.get(b"s").is_none());
    assert_eq!(node.run(&["SPOP", "s"]), Reply::Nil);
    node.records();
    assert_eq!(node.run(&["SPOP", "s", "2"]), Reply::Set(vec![]));
    assert!(node.records().is_empty());
}

#[test]
fn spop_with_count() {
    let mut node = node_with(&[("s", &["a", "b", "c", "d"])]);
    let popped = sorted(node.run(&["SPOP", "s", "3"]));
    assert_eq!(popped.len(), 3);
    let records = node.records();
    assert_eq!(records.len(), 1);
    let mut recorded = records[0][2..].to_vec();
    recorded.sort();
    assert_eq!(&records[0][..2], ["SREM", "s"]);
    assert_eq!(recorded, popped);
    assert_eq!(node.run(&["SCARD", "s"]), int(1));
    assert_eq!(node.run(&["SPOP", "s", "0"]), Reply::Set(vec![]));
    assert_eq!(sorted(node.run(&["SPOP", "s", "10"])).len(), 1);
    assert_eq!(node.records(), vec![vec!["DEL", "s"]]);
    assert!(node.engine.dbs[0].keys.get(b"s").is_none());
}

#[test]
fn spop_count_errors() {
    let mut node = node_with(&[("s", &["a"])]);
    let positive = err("ERR value is out of range, must be positive");
    assert_eq!(node.run(&["SPOP", "s", "-1"]), positive);
    assert_eq!(node.run(&["SPOP", "s", "abc"]), positive);
    assert_eq!(node.run(&["SPOP", "nokey", "abc"]), positive);
    assert_eq!(node.run(&["SPOP", "str", "abc"]), positive);
    assert_eq!(
        node.run(&["SPOP", "s", "1", "2"]),
        Reply::Error(CmdError::Syntax)
    );
}

#[test]
fn srandmember_counts() {
    let mut node = node_with(&[("s", &["a", "b", "c"])]);
    assert!(matches!(node.run(&["SRANDMEMBER", "s"]), Reply::Bulk(_)));
    assert_eq!(node.run(&["SRANDMEMBER", "nokey"]), Reply::Nil);
    assert_eq!(
        node.run(&["SRANDMEMBER", "nokey", "3"]),
        Reply::Array(vec![])
    );
    assert_eq!(
        node.run(&["SRANDMEMBER", "nokey", "-3"]),
        Reply::Array(vec![])
    );
    assert_eq!(node.run(&["SRANDMEMBER", "s", "0"]), Reply::Array(vec![]));
    assert_eq!(
        sorted(node.run(&["SRANDMEMBER", "s", "10"])),
        ["a", "b", "c"]
    );
    let two = sorted(node.run(&["SRANDMEMBER", "s", "2"]));
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    let repeated = sorted(node.run(&["SRANDMEMBER", "s", "-20"]));
    assert_eq!(repeated.len(), 20);
    assert!(repeated
        .iter()
        .all(|m| ["a", "b", "c"].contains(&m.as_str())));
    assert_eq!(
        node.run(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        node.run(&["SRANDMEMBER", "s", "x"]),
        Reply::Error(CmdError::NotInteger)
    );
    assert_eq!(
        node.run(&["SRANDMEMBER", "s", "1", "2"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(node.run(&["SCARD", "s"]), int(3));
    assert!(node.records().is_empty());
}

#[test]
fn smove_moves_and_records() {
    let mut node = node_with(&[("src", &["a", "b"]), ("dst", &["b"])]);
    assert_eq!(node.run(&["SMOVE", "src", "dst", "a"]), int(1));
    assert_eq!(node.records(), vec![vec!["SMOVE", "src", "dst", "a"]]);
    assert_eq!(node.run(&["SMOVE", "src", "dst", "a"]), int(0));
    assert_eq!(node.run(&["SMOVE", "src", "new", "b"]), int(1));
    assert!(node.engine.dbs[0].keys.get(b"src").is_none());
    assert_eq!(sorted(node.run(&["SMEMBERS", "new"])), ["b"]);
    assert_eq!(sorted(node.run(&["SMEMBERS", "dst"])), ["a", "b"]);
    node.records();
    assert_eq!(node.run(&["SMOVE", "dst", "dst", "a"]), int(1));
    assert_eq!(node.run(&["SMOVE", "dst", "dst", "zz"]), int(0));
    assert!(node.records().is_empty());
}

#[test]
fn smove_type_checks_follow_redis() {
    let mut node = node_with(&[("s", &["a"])]);
    put_string(&mut node, "str");
    assert_eq!(node.run(&["SMOVE", "nokey", "str", "a"]), int(0));
    assert_eq!(node.run(&["SMOVE", "s", "str", "a"]), wrongtype());
    assert_eq!(node.run(&["SMOVE", "str", "s", "a"]), wrongtype());
    assert_eq!(node.run(&["SCARD", "s"]), int(1));
}

#[test]
fn algebra_reads() {
    let mut node = node_with(&[
        ("a", &["1", "2", "3"]),
        ("b", &["2", "3", "4"]),
        ("c", &["3"]),
    ]);
    assert_eq!(sorted(node.run(&["SINTER", "a", "b"])), ["2", "3"]);
    assert_eq!(sorted(node.run(&["SINTER", "a", "b", "c"])), ["3"]);
    assert_eq!(node.run(&["SINTER", "a", "nokey"]), Reply::Set(vec![]));
    assert_eq!(
        sorted(node.run(&["SUNION", "a", "b", "nokey"])),
        ["1", "2", "3", "4"]
    );
    assert_eq!(sorted(node.run(&["SDIFF", "a", "b"])), ["1"]);
    assert_eq!(sorted(node.run(&["SDIFF", "a", "nokey"])), ["1", "2", "3"]);
    assert_eq!(node.run(&["SDIFF", "nokey", "a"]), Reply::Set(vec![]));
    assert_eq!(sorted(node.run(&["SDIFF", "a", "a"])), Vec::<String>::new());
}

#[test]
fn resp3_shapes() {
    let mut node = node_with(&[("a", &["1"])]);
    node.session.protocol = Protocol::Resp3;
    assert_eq!(node.run(&["SINTER", "a"]), Reply::Set(vec![bulk("1")]));
    assert_eq!(node.run(&["SRANDMEMBER", "a", "1"]), bulks(&["1"]));
    assert_eq!(node.run(&["SPOP", "a", "1"]), Reply::Set(vec![bulk("1")]));
}

#[test]
fn store_overwrites_any_type_and_clears_the_ttl() {
    let mut node = node_with(&[("a", &["1", "2"]), ("b", &["2", "3"]), ("dest", &["old"])]);
    expire_later(&mut node, "dest");
    assert_eq!(node.run(&["SUNIONSTORE", "dest", "a", "b"]), int(3));
    assert_eq!(sorted(node.run(&["SMEMBERS", "dest"])), ["1", "2", "3"]);
    assert_eq!(node.engine.dbs[0].keys.get(b"dest").unwrap().expires_at, 0);
    let records = node.records();
    assert_eq!(records[0], ["DEL", "dest"]);
    let mut added = records[1][2..].to_vec();
    added.sort();
    assert_eq!(
        (&records[1][..2], added.as_slice()),
        (
            &["SADD".to_string(), "dest".into()][..],
            &["1".to_string(), "2".into(), "3".into()][..]
        )
    );
    put_string(&mut node, "str");
    assert_eq!(node.run(&["SINTERSTORE", "str", "a", "b"]), int(1));
    assert_eq!(sorted(node.run(&["SMEMBERS", "str"])), ["2"]);
    assert_eq!(node.run(&["SDIFFSTORE", "a", "a", "b"]), int(1));
    assert_eq!(sorted(node.run(&["SMEMBERS", "a"])), ["1"]);
}

#[test]
fn store_of_an_empty_result_deletes() {
    let mut node = node_with(&[("a", &["1"]), ("dest", &["x"])]);
    assert_eq!(node.run(&["SINTERSTORE", "dest", "a", "nokey"]), int(0));
    assert!(node.engine.dbs[0].keys.get(b"dest").is_none());
    assert_eq!(node.records(), vec![vec!["DEL", "dest"]]);
    assert_eq!(node.run(&["SDIFFSTORE", "dest", "a", "a"]), int(0));
    assert!(
        node.records().is_empty(),
        "nothing to delete, nothing recorded"
    );
}

fn expire_later(node: &mut TestNode, key: &str) {
    let at = node.now + 60_000;
    let keys = &mut node.engine.dbs[0].keys;
    let slot = keys.find(key.as_bytes()).expect("key exists");
    keys.set_expiry(slot, at);
}

#[test]
fn sintercard_counts_with_limit() {
    let mut node = node_with(&[("a", &["1", "2", "3"]), ("b", &["1", "2", "3", "4"])]);
    assert_eq!(node.run(&["SINTERCARD", "2", "a", "b"]), int(3));
    assert_eq!(
        node.run(&["SINTERCARD", "2", "a", "b", "LIMIT", "2"]),
        int(2)
    );
    assert_eq!(
        node.run(&["SINTERCARD", "2", "a", "b", "limit", "0"]),
        int(3)
    );
    assert_eq!(
        node.run(&["SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "0"]),
        int(3)
    );
    assert_eq!(node.run(&["SINTERCARD", "2", "a", "nokey"]), int(0));
}

#[test]
fn sintercard_errors() {
    let mut node = node_with(&[("a", &["1"])]);
    let numkeys = err("ERR numkeys should be greater than 0");
    assert_eq!(node.run(&["SINTERCARD", "0", "a"]), numkeys);
    assert_eq!(node.run(&["SINTERCARD", "abc", "a"]), numkeys);
    assert_eq!(
        node.run(&["SINTERCARD", "2", "a"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    assert_eq!(
        node.run(&["SINTERCARD", "9223372036854775807", "a"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    let negative = err("ERR LIMIT can't be negative");
    assert_eq!(node.run(&["SINTERCARD", "1", "a", "LIMIT", "-1"]), negative);
    assert_eq!(node.run(&["SINTERCARD", "1", "a", "LIMIT", "x"]), negative);
    assert_eq!(
        node.run(&["SINTERCARD", "1", "a", "LIMIT"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["SINTERCARD", "1", "a", "FOO", "1"]),
        Reply::Error(CmdError::Syntax)
    );
}

#[test]
fn sscan_small_and_large() {
    let mut node = node_with(&[("s", &["a", "b", "c"])]);
    let reply = node.run(&["SSCAN", "s", "0"]);
    let Reply::Array(parts) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(parts[0], bulk("0"));
    assert_eq!(sorted(parts[1].clone()), ["a", "b", "c"]);
    let matched = node.run(&["SSCAN", "s", "0", "MATCH", "b*", "COUNT", "1"]);
    assert_eq!(matched, Reply::Array(vec![bulk("0"), bulks(&["b"])]));
    let mut command = vec!["SADD".to_string(), "big".into()];
    command.extend((0..1000).map(|i| format!("m{i}")));
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    node.run(&command);
    let (mut cursor, mut calls, mut seen) = ("0".to_string(), 0, Vec::new());
    loop {
        let Reply::Array(parts) = node.run(&["SSCAN", "big", &cursor, "COUNT", "10"]) else {
            panic!("SSCAN answered no array");
        };
        seen.extend(sorted(parts[1].clone()));
        calls += 1;
        let Reply::Bulk(next) = &parts[0] else {
            panic!("no cursor")
        };
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 1);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 1000);
}

#[test]
fn sscan_errors_in_redis_order() {
    let mut node = node_with(&[("s", &["a"])]);
    let invalid = err("ERR invalid cursor");
    assert_eq!(node.run(&["SSCAN", "s", "abc"]), invalid);
    assert_eq!(node.run(&["SSCAN", "str", "abc"]), invalid);
    assert_eq!(
        node.run(&["SSCAN", "nokey", "0", "BAD"]),
        Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
    );
    assert_eq!(
        node.run(&["SSCAN", "s", "0", "BAD"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["SSCAN", "s", "0", "COUNT", "0"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["SSCAN", "s", "0", "TYPE", "set"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["SSCAN", "s", "0", "COUNT", "x"]),
        Reply::Error(CmdError::NotInteger)
    );
}

#[test]
fn members_are_binary() {
    let mut node = TestNode::new();
    let member = "caf\u{e9}\r\n\0";
    assert_eq!(node.run(&["SADD", "s", member]), int(1));
    assert_eq!(node.run(&["SISMEMBER", "s", member]), int(1));
    assert_eq!(node.run(&["SMEMBERS", "s"]), Reply::Set(vec![bulk(member)]));
}
