//! Unit tests of the sorted-set commands, against a [`TestNode`] with no network. Expected
//! replies and error texts were checked against Redis 7.0.15.

mod add;
mod algebra;
mod range;
mod remove;
mod store;

use rg_resp::Protocol;

use crate::commands::testing::{bulk, bulks, TestNode};
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

fn node() -> TestNode {
    TestNode::new()
}

/// The error line of a reply, for comparing with Redis's texts.
fn error(reply: Reply) -> String {
    match reply {
        Reply::Error(e) => e.line().into_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Puts a value of another type (a string, a set) at `key`.
fn put(node: &mut TestNode, key: &str, value: Value) {
    node.engine.dbs[0].keys.insert(key.as_bytes(), value, 0);
}

fn put_string(node: &mut TestNode, key: &str) {
    put(node, key, Value::Str(SmallBytes::new(b"text")));
}

fn put_set(node: &mut TestNode, key: &str, members: &[&str]) {
    let set = members
        .iter()
        .map(|m| SmallBytes::new(m.as_bytes()))
        .collect();
    put(node, key, Value::Set(Box::new(set)));
}

fn exists(node: &TestNode, key: &str) -> bool {
    node.engine.dbs[0].keys.get(key.as_bytes()).is_some()
}

fn d(value: f64) -> Reply {
    Reply::Double(value)
}

/// A RESP2 WITHSCORES reply: member, score, member, score...
fn scored(pairs: &[(&str, f64)]) -> Reply {
    Reply::Array(pairs.iter().flat_map(|(m, s)| [bulk(m), d(*s)]).collect())
}

/// A RESP3 WITHSCORES reply: [member, score] pairs.
fn scored3(pairs: &[(&str, f64)]) -> Reply {
    Reply::Array(
        pairs
            .iter()
            .map(|(m, s)| Reply::Array(vec![bulk(m), d(*s)]))
            .collect(),
    )
}

fn resp3(node: &mut TestNode) {
    node.session.protocol = Protocol::Resp3;
}

fn record(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn point_reads() {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a", "2.5", "b", "3", "c"]);
    assert_eq!(n.run(&["ZSCORE", "z", "b"]), d(2.5));
    assert_eq!(n.run(&["ZSCORE", "z", "nope"]), Reply::Nil);
    assert_eq!(n.run(&["ZSCORE", "missing", "a"]), Reply::Nil);
    assert_eq!(
        n.run(&["ZMSCORE", "z", "a", "nope", "c"]),
        Reply::Array(vec![d(1.0), Reply::Nil, d(3.0)])
    );
    assert_eq!(
        n.run(&["ZMSCORE", "missing", "a"]),
        Reply::Array(vec![Reply::Nil])
    );
    assert_eq!(n.run(&["ZCARD", "z"]), Reply::Int(3));
    assert_eq!(n.run(&["ZCARD", "missing"]), Reply::Int(0));
    assert_eq!(n.run(&["ZRANK", "z", "c"]), Reply::Int(2));
    assert_eq!(n.run(&["ZREVRANK", "z", "c"]), Reply::Int(0));
    assert_eq!(n.run(&["ZRANK", "z", "nope"]), Reply::Nil);
    assert_eq!(n.run(&["ZREVRANK", "missing", "a"]), Reply::Nil);
}

#[test]
fn point_reads_refuse_other_types() {
    let mut n = node();
    put_string(&mut n, "s");
    for command in [
        &["ZSCORE", "s", "a"][..],
        &["ZMSCORE", "s", "a"],
        &["ZCARD", "s"],
        &["ZRANK", "s", "a"],
        &["ZREVRANK", "s", "a"],
        &["ZSCAN", "s", "0"],
    ] {
        assert_eq!(error(n.run(command)), WRONGTYPE, "{command:?}");
    }
}

#[test]
fn zscan_answers_small_sets_at_once() {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a", "0.1", "b", "3", "ab"]);
    let expected = Reply::Array(vec![
        bulk("0"),
        bulks(&["b", "0.10000000000000001", "a", "1", "ab", "3"]),
    ]);
    assert_eq!(n.run(&["ZSCAN", "z", "0"]), expected);
    assert_eq!(n.run(&["ZSCAN", "z", "17", "COUNT", "1"]), expected);
    assert_eq!(
        n.run(&["ZSCAN", "z", "0", "MATCH", "a*"]),
        Reply::Array(vec![bulk("0"), bulks(&["a", "1", "ab", "3"])])
    );
    assert_eq!(
        n.run(&["ZSCAN", "missing", "0", "COUNT", "0"]),
        Reply::Array(vec![bulk("0"), bulks(&[])])
    );
    assert_eq!(error(n.run(&["ZSCAN", "z", "x"])), "ERR invalid cursor");
    assert_eq!(
        error(n.run(&["ZSCAN", "z", "0", "COUNT", "0"])),
        "ERR syntax error"
    );
    assert_eq!(
        error(n.run(&["ZSCAN", "z", "0", "MATCH"])),
        "ERR syntax error"
    );
    assert_eq!(
        error(n.run(&["ZSCAN", "z", "0", "TYPE", "zset"])),
        "ERR syntax error"
    );
}

#[test]
fn zscan_pages_through_large_sets() {
    let mut n = node();
    let mut args = vec!["ZADD".to_string(), "z".into()];
    for i in 0..1000 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    n.run(&refs);
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut pages = 0;
    loop {
        let Reply::Array(parts) = n.run(&["ZSCAN", "z", &cursor, "COUNT", "50"]) else {
            panic!()
        };
        let [Reply::Bulk(next), Reply::Array(items)] = &parts[..] else {
            panic!()
        };
        for pair in items.chunks(2) {
            let [Reply::Bulk(m), Reply::Bulk(s)] = pair else {
                panic!()
            };
            let m = String::from_utf8_lossy(m).into_owned();
            assert_eq!(format!("m{}", String::from_utf8_lossy(s)), m);
            seen.insert(m);
        }
        pages += 1;
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(pages >= 10, "{pages} pages");
}
