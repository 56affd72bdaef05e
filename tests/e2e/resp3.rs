//! RESP3 after HELLO 3: maps, doubles, nulls and pushes, with a real client and on the wire.
//! https://github.com/redis/redis-specifications/blob/master/protocol/RESP3.md

use redis::Value;
use rg_testkit::Node;

use crate::support::{q, Raw};

/// The tail of every HELLO reply: the field it ends with.
const HELLO_TAIL: &[u8] = b"$7\r\nmodules\r\n*0\r\n";

fn resp3_connection(node: &Node) -> redis::Connection {
    let client = redis::Client::open(format!("{}?protocol=resp3", node.url())).unwrap();
    client
        .get_connection()
        .expect("the node accepts a RESP3 connection")
}

/// A raw connection switched to RESP3; returns the HELLO reply it got.
fn raw_resp3(node: &Node) -> (Raw, String) {
    let mut raw = Raw::connect(node);
    raw.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
    let hello = raw.read_until_suffix(HELLO_TAIL);
    (raw, hello)
}

fn text(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn hello_3_answers_a_map_with_proto_3() {
    let node = Node::start(&[]);
    let mut con = resp3_connection(&node);
    let Value::Map(fields) = q::<Value>(&mut con, &["HELLO", "3"]) else {
        panic!("HELLO 3 did not answer a map");
    };
    assert!(
        fields.contains(&(text("proto"), Value::Int(3))),
        "{fields:?}"
    );
    assert!(
        fields.contains(&(text("server"), text("redis"))),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|(k, _)| *k == text("version")),
        "{fields:?}"
    );
    let (_, hello) = raw_resp3(&node);
    assert!(
        hello.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{hello:?}"
    );
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello:?}");
}

#[test]
fn resp3_replies_have_their_own_types() {
    let node = Node::start(&[]);
    let mut con = resp3_connection(&node);
    let _: () = q(&mut con, &["HSET", "h", "f", "v", "g", "w"]);
    let _: () = q(&mut con, &["ZADD", "z", "1.5", "a"]);
    let _: () = q(&mut con, &["SADD", "s", "m"]);
    let Value::Map(mut pairs) = q::<Value>(&mut con, &["HGETALL", "h"]) else {
        panic!("HGETALL did not answer a map in RESP3");
    };
    pairs.sort_by_key(|(k, _)| format!("{k:?}"));
    assert_eq!(pairs, [(text("f"), text("v")), (text("g"), text("w"))]);
    assert_eq!(
        q::<Value>(&mut con, &["ZSCORE", "z", "a"]),
        Value::Double(1.5)
    );
    assert_eq!(
        q::<Value>(&mut con, &["SMEMBERS", "s"]),
        Value::Set(vec![text("m")])
    );
    assert_eq!(q::<Value>(&mut con, &["GET", "missing"]), Value::Nil);
}

#[test]
fn resp3_wire_bytes_match_redis() {
    let node = Node::start(&[]);
    let (mut raw, _) = raw_resp3(&node);
    raw.roundtrip(b"HSET h f v\r\n", b":1\r\n");
    raw.roundtrip(b"ZADD z 1.5 a\r\n", b":1\r\n");
    raw.roundtrip(b"SADD s m\r\n", b":1\r\n");
    raw.roundtrip(b"GET missing\r\n", b"_\r\n");
    raw.roundtrip(b"ZSCORE z nope\r\n", b"_\r\n");
    raw.roundtrip(b"LPOP nolist\r\n", b"_\r\n");
    raw.roundtrip(b"ZSCORE z a\r\n", b",1.5\r\n");
    raw.roundtrip(b"HGETALL h\r\n", b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    raw.roundtrip(b"SMEMBERS s\r\n", b"~1\r\n$1\r\nm\r\n");
    raw.roundtrip(
        b"ZRANGE z 0 -1 WITHSCORES\r\n",
        b"*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n",
    );
    raw.roundtrip(b"ZINCRBY z 2 a\r\n", b",3.5\r\n");
    raw.roundtrip(
        b"CONFIG GET maxmemory\r\n",
        b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
    );
    // Back to RESP2, the same replies take their RESP2 shapes.
    raw.send(b"HELLO 2\r\n");
    let hello = raw.read_until_suffix(HELLO_TAIL);
    assert!(hello.starts_with("*14\r\n"), "{hello:?}");
    raw.roundtrip(b"GET missing\r\n", b"$-1\r\n");
    raw.roundtrip(b"ZSCORE z a\r\n", b"$3\r\n3.5\r\n");
    raw.roundtrip(b"HGETALL h\r\n", b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
}

#[test]
fn an_aborted_exec_is_a_resp3_null() {
    let node = Node::start(&[]);
    let (mut raw, _) = raw_resp3(&node);
    let mut other = Raw::connect(&node);
    raw.roundtrip(b"WATCH w\r\n", b"+OK\r\n");
    other.roundtrip(b"SET w 1\r\n", b"+OK\r\n");
    raw.roundtrip(b"MULTI\r\n", b"+OK\r\n");
    raw.roundtrip(b"GET w\r\n", b"+QUEUED\r\n");
    raw.roundtrip(b"EXEC\r\n", b"_\r\n");
}

#[test]
fn resp3_pubsub_uses_pushes_and_allows_other_commands() {
    let node = Node::start(&[]);
    let (mut subscriber, _) = raw_resp3(&node);
    let mut publisher = Raw::connect(&node);
    subscriber.roundtrip(
        b"SUBSCRIBE ch\r\n",
        b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
    );
    // Unlike RESP2, a RESP3 subscriber may run ordinary commands.
    subscriber.roundtrip(b"GET missing\r\n", b"_\r\n");
    subscriber.roundtrip(b"PING\r\n", b"+PONG\r\n");
    publisher.roundtrip(b"PUBLISH ch hi\r\n", b":1\r\n");
    let push = subscriber.read_exactly(b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    assert_eq!(push, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
}

#[test]
fn hello_refuses_unknown_protocol_versions() {
    let node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(b"HELLO 4\r\n", b"-NOPROTO unsupported protocol version\r\n");
    // The connection stays on RESP2.
    raw.roundtrip(b"GET missing\r\n", b"$-1\r\n");
}
