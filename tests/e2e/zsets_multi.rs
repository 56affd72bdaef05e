//! The sorted-set commands that pop from several keys, block, or combine sets, with a real
//! client, replies as Redis 7.0.15 gives them: https://redis.io/commands/bzpopmin/
//! https://redis.io/commands/zmpop/ https://redis.io/commands/zunion/

use std::thread;

use redis::Value;
use rg_testkit::{assert_eventually, Node};

use crate::replication::{converged, Group, CONVERGE};
use crate::support::{connect, err, q, wait_for_blocked_clients};

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn bulks(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|i| bulk(i)).collect())
}

/// `[key, [[member, score]...]]`, what ZMPOP answers (scores as text in RESP2).
fn popped(key: &str, pairs: &[(&str, &str)]) -> Value {
    let pairs = pairs.iter().map(|(m, s)| bulks(&[m, s])).collect();
    Value::Array(vec![bulk(key), Value::Array(pairs)])
}

fn spawn_blocked(node: &Node, args: &'static [&'static str]) -> thread::JoinHandle<Value> {
    let mut con = connect(node);
    thread::spawn(move || q::<Value>(&mut con, args))
}

#[test]
fn zmpop_and_bzpopmin_pop_from_the_first_non_empty_set() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(
        &mut con,
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    assert_eq!(
        q::<Value>(&mut con, &["ZMPOP", "2", "none", "z", "MIN", "COUNT", "2"]),
        popped("z", &[("a", "1"), ("b", "2")])
    );
    assert_eq!(
        q::<Value>(&mut con, &["BZPOPMAX", "none", "z", "0"]),
        bulks(&["z", "d", "4"])
    );
    assert_eq!(
        q::<Value>(&mut con, &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "9"]),
        popped("z", &[("c", "3")])
    );
    assert_eq!(
        q::<Value>(&mut con, &["ZMPOP", "1", "z", "MIN"]),
        Value::Nil
    );
    assert_eq!(q::<Value>(&mut con, &["BZPOPMIN", "z", "0.1"]), Value::Nil);
    assert_eq!(
        q::<Value>(&mut con, &["BZMPOP", "0.1", "1", "z", "MIN"]),
        Value::Nil
    );
    assert_eq!(
        err(&mut con, &["ZMPOP", "1", "z", "MED"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut con, &["ZMPOP", "1", "z", "MIN", "COUNT", "-1"]),
        "ERR count should be greater than 0"
    );
}

#[test]
fn blocked_sorted_set_pops_are_served_first_come_first_served() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let first = spawn_blocked(&node, &["BZPOPMIN", "z", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let second = spawn_blocked(&node, &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]);
    wait_for_blocked_clients(&mut con, 2);
    let _: () = q(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(first.join().unwrap(), bulks(&["z", "a", "1"]));
    assert_eq!(
        second.join().unwrap(),
        popped("z", &[("c", "3"), ("b", "2")])
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "z"]), 0);
}

#[test]
fn a_list_push_does_not_serve_a_sorted_set_waiter() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let waiter = spawn_blocked(&node, &["BZPOPMIN", "k", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["RPUSH", "k", "x"]);
    assert_eq!(q::<i64>(&mut con, &["LLEN", "k"]), 1);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["DEL", "k"]);
    let _: () = q(&mut con, &["ZADD", "k", "7", "m"]);
    assert_eq!(waiter.join().unwrap(), bulks(&["k", "m", "7"]));
}

#[test]
fn zunion_zinter_zdiff_and_zintercard() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["ZADD", "z1", "1", "a", "2", "b", "3", "c"]);
    let _: () = q(&mut con, &["ZADD", "z2", "10", "b", "20", "c", "30", "d"]);
    let _: () = q(&mut con, &["SADD", "s", "a", "d", "e"]);
    assert_eq!(
        q::<Value>(&mut con, &["ZUNION", "2", "z1", "z2", "WITHSCORES"]),
        bulks(&["a", "1", "b", "12", "c", "23", "d", "30"])
    );
    assert_eq!(
        q::<Value>(
            &mut con,
            &[
                "ZINTER",
                "2",
                "z1",
                "z2",
                "WEIGHTS",
                "1",
                "2",
                "AGGREGATE",
                "MAX",
                "WITHSCORES"
            ]
        ),
        bulks(&["b", "20", "c", "40"])
    );
    assert_eq!(
        q::<Value>(&mut con, &["ZDIFF", "2", "z1", "z2", "WITHSCORES"]),
        bulks(&["a", "1"])
    );
    assert_eq!(q::<i64>(&mut con, &["ZDIFFSTORE", "d", "2", "z1", "s"]), 2);
    assert_eq!(
        q::<Value>(&mut con, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        bulks(&["b", "2", "c", "3"])
    );
    assert_eq!(q::<i64>(&mut con, &["ZINTERCARD", "2", "z1", "z2"]), 2);
    assert_eq!(
        q::<i64>(&mut con, &["ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"]),
        1
    );
    let cases = [
        (
            &["ZUNION", "0", "z1"][..],
            "ERR at least 1 input key is needed for 'zunion' command",
        ),
        (
            &["ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"],
            "ERR syntax error",
        ),
        (
            &["ZINTERCARD", "1", "z1", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
        (
            &["ZUNION", "1", "z1", "WEIGHTS", "x"],
            "ERR weight value is not a float",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(err(&mut con, args), expected, "{args:?}");
    }
}

#[test]
fn zrandmember_with_counts_and_scores() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(
        q::<Value>(&mut con, &["ZRANDMEMBER", "z", "10", "WITHSCORES"]),
        bulks(&["c", "3", "b", "2", "a", "1"])
    );
    let repeated: Vec<String> = q(&mut con, &["ZRANDMEMBER", "z", "-5"]);
    assert_eq!(repeated.len(), 5);
    assert!(repeated
        .iter()
        .all(|m| ["a", "b", "c"].contains(&m.as_str())));
    let distinct: Vec<(String, f64)> = q(&mut con, &["ZRANDMEMBER", "z", "2", "WITHSCORES"]);
    assert_eq!(distinct.len(), 2);
    assert_ne!(distinct[0].0, distinct[1].0);
    assert_eq!(q::<Value>(&mut con, &["ZRANDMEMBER", "none"]), Value::Nil);
    assert_eq!(
        err(&mut con, &["ZRANDMEMBER", "z", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and \
         9223372036854775807"
    );
}

#[test]
fn a_replica_ends_with_what_zmpop_and_a_served_bzpopmin_left() {
    let group = Group::new("zsets-multi");
    let primary = group.node("n1", None, &[]);
    let replica = group.node("n2", Some("n1"), &[]);
    let mut con = connect(&primary);
    let _: () = q(
        &mut con,
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    let _: Value = q(&mut con, &["ZMPOP", "1", "z", "MAX", "COUNT", "2"]);
    let waiter = spawn_blocked(&primary, &["BZPOPMIN", "w", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["ZADD", "w", "5", "x", "6", "y"]);
    assert_eq!(waiter.join().unwrap(), bulks(&["w", "x", "5"]));
    let _: i64 = q(&mut con, &["ZDIFFSTORE", "d", "2", "z", "w"]);
    assert_eventually!(converged(&primary, &[&replica]), CONVERGE);
    let mut rcon = connect(&replica);
    assert_eq!(
        q::<Vec<String>>(&mut rcon, &["ZRANGE", "z", "0", "-1"]),
        ["a", "b"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut rcon, &["ZRANGE", "w", "0", "-1"]),
        ["y"]
    );
}
