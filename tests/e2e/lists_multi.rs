//! LMPOP, BLMPOP and BRPOPLPUSH with a real client, replies as Redis 7.0.15 gives them:
//! https://redis.io/commands/lmpop/ https://redis.io/commands/blmpop/

use std::thread;

use redis::Value;
use rg_testkit::{assert_eventually, Node};

use crate::replication::{converged, Group, CONVERGE};
use crate::support::{connect, err, q, wait_for_blocked_clients};

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn keyed(key: &str, items: &[&str]) -> Value {
    Value::Array(vec![
        bulk(key),
        Value::Array(items.iter().map(|i| bulk(i)).collect()),
    ])
}

/// Runs `args` on a connection of its own in a thread, once `node` has it registered.
fn spawn_blocked(node: &Node, args: &'static [&'static str]) -> thread::JoinHandle<Value> {
    let mut con = connect(node);
    thread::spawn(move || q::<Value>(&mut con, args))
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["RPUSH", "l", "a", "b", "c", "d"]);
    assert_eq!(
        q::<Value>(
            &mut con,
            &["LMPOP", "2", "none", "l", "RIGHT", "COUNT", "3"]
        ),
        keyed("l", &["d", "c", "b"])
    );
    assert_eq!(
        q::<Value>(&mut con, &["LMPOP", "1", "l", "LEFT"]),
        keyed("l", &["a"])
    );
    assert_eq!(
        q::<Value>(&mut con, &["LMPOP", "1", "l", "LEFT"]),
        Value::Nil
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "l"]), 0);
    let _: () = q(&mut con, &["SET", "s", "x"]);
    assert_eq!(
        err(&mut con, &["LMPOP", "1", "s", "LEFT"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    let cases = [
        (
            &["LMPOP", "0", "l", "LEFT"][..],
            "ERR numkeys should be greater than 0",
        ),
        (&["LMPOP", "2", "l", "LEFT"], "ERR syntax error"),
        (
            &["LMPOP", "1", "l", "LEFT", "COUNT", "0"],
            "ERR count should be greater than 0",
        ),
        (
            &["BLMPOP", "x", "1", "l", "LEFT"],
            "ERR timeout is not a float or out of range",
        ),
        (
            &["BLMPOP", "x", "0", "l", "LEFT"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["LMPOP", "1", "l"],
            "ERR wrong number of arguments for 'lmpop' command",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(err(&mut con, args), expected, "{args:?}");
    }
}

#[test]
fn a_blocked_blmpop_is_served_by_a_push_and_times_out_with_nil() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(
        q::<Value>(&mut con, &["BLMPOP", "0.1", "1", "none", "LEFT"]),
        Value::Nil
    );
    let waiter = spawn_blocked(&node, &["BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "2"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(waiter.join().unwrap(), keyed("b", &["1", "2"]));
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "b", "0", "-1"]),
        ["3"]
    );
}

#[test]
fn brpoplpush_moves_at_once_or_once_served() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["RPUSH", "src", "1", "2"]);
    assert_eq!(
        q::<String>(&mut con, &["BRPOPLPUSH", "src", "dst", "0"]),
        "2"
    );
    let waiter = spawn_blocked(&node, &["BRPOPLPUSH", "empty", "dst", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["LPUSH", "empty", "e"]);
    assert_eq!(waiter.join().unwrap(), bulk("e"));
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "dst", "0", "-1"]),
        ["e", "2"]
    );
    assert_eq!(
        q::<Value>(&mut con, &["BRPOPLPUSH", "none", "dst", "0.1"]),
        Value::Nil
    );
}

#[test]
fn inside_multi_they_do_not_block() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let replies: Vec<Value> = redis::pipe()
        .atomic()
        .cmd("BLMPOP")
        .arg(0)
        .arg(1)
        .arg("l")
        .arg("LEFT")
        .cmd("BRPOPLPUSH")
        .arg("l")
        .arg("d")
        .arg(0)
        .query(&mut con)
        .unwrap();
    assert_eq!(replies, [Value::Nil, Value::Nil]);
}

#[test]
fn a_replica_ends_with_what_lmpop_and_a_served_blmpop_left() {
    let group = Group::new("lists-multi");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    let mut con = connect(&primary);
    let _: () = q(&mut con, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    let _: Value = q(&mut con, &["LMPOP", "1", "l", "LEFT", "COUNT", "2"]);
    let waiter = spawn_blocked(&primary, &["BLMPOP", "0", "1", "q", "RIGHT", "COUNT", "2"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["RPUSH", "q", "1", "2", "3"]);
    assert_eq!(waiter.join().unwrap(), keyed("q", &["3", "2"]));
    let waiter = spawn_blocked(&primary, &["BRPOPLPUSH", "r", "l", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["RPUSH", "r", "x", "y"]);
    assert_eq!(waiter.join().unwrap(), bulk("y"));
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    let mut rcon = connect(&replica);
    assert_eq!(
        q::<Vec<String>>(&mut rcon, &["LRANGE", "l", "0", "-1"]),
        ["y", "c", "d", "e"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut rcon, &["LRANGE", "q", "0", "-1"]),
        ["1"]
    );
}
