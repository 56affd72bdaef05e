//! Blocking list commands: a client waits on an empty list until another pushes to it.
//! https://redis.io/commands/blpop/

use std::thread;

use redis::Value;
use rg_testkit::Node;

use crate::support::{connect, err, q, wait_for_blocked_clients};

/// Runs `args` on a connection of its own in a thread, and returns the thread's handle.
fn spawn_blocked(node: &Node, args: &'static [&'static str]) -> thread::JoinHandle<Value> {
    let mut con = connect(node);
    thread::spawn(move || q::<Value>(&mut con, args))
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn blpop_on_an_empty_list_times_out_with_nil() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<Value>(&mut con, &["BLPOP", "empty", "0.2"]), Value::Nil);
    assert_eq!(
        q::<Value>(&mut con, &["BLMOVE", "empty", "dst", "LEFT", "LEFT", "0.1"]),
        Value::Nil
    );
    // The connection is usable again afterwards.
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "dst"]), 0);
}

#[test]
fn a_blocked_blpop_is_served_by_a_push_from_another_client() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let waiter = spawn_blocked(&node, &["BLPOP", "jobs", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    assert_eq!(q::<i64>(&mut con, &["RPUSH", "jobs", "job-1"]), 1);
    assert_eq!(
        waiter.join().unwrap(),
        Value::Array(vec![bulk("jobs"), bulk("job-1")])
    );
    // The element went to the waiter: nothing is left behind.
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "jobs"]), 0);
    wait_for_blocked_clients(&mut con, 0);
}

#[test]
fn blocked_clients_are_served_first_come_first_served() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let first = spawn_blocked(&node, &["BLPOP", "queue", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let second = spawn_blocked(&node, &["BLPOP", "queue", "0"]);
    wait_for_blocked_clients(&mut con, 2);
    let _: () = q(&mut con, &["RPUSH", "queue", "a", "b"]);
    assert_eq!(
        first.join().unwrap(),
        Value::Array(vec![bulk("queue"), bulk("a")])
    );
    assert_eq!(
        second.join().unwrap(),
        Value::Array(vec![bulk("queue"), bulk("b")])
    );
}

#[test]
fn a_blocked_blmove_is_served_and_moves_the_element() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["RPUSH", "done", "old"]);
    let waiter = spawn_blocked(&node, &["BLMOVE", "todo", "done", "LEFT", "RIGHT", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["RPUSH", "todo", "task"]);
    assert_eq!(waiter.join().unwrap(), bulk("task"));
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "done", "0", "-1"]),
        ["old", "task"]
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "todo"]), 0);
}

#[test]
fn brpop_watches_several_keys() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    // With data already there, the first non-empty key in argument order wins at once.
    let _: () = q(&mut con, &["RPUSH", "c", "x"]);
    let _: () = q(&mut con, &["RPUSH", "a", "y"]);
    let ready: (String, String) = q(&mut con, &["BRPOP", "b", "a", "c", "0"]);
    assert_eq!(ready, ("a".to_string(), "y".to_string()));
    let _: () = q(&mut con, &["DEL", "c"]);
    let waiter = spawn_blocked(&node, &["BRPOP", "a", "b", "c", "0"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["RPUSH", "b", "1", "2"]);
    assert_eq!(
        waiter.join().unwrap(),
        Value::Array(vec![bulk("b"), bulk("2")])
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "b", "0", "-1"]),
        ["1"]
    );
}

#[test]
fn blpop_inside_multi_does_not_block() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["BLPOP", "empty", "0"]);
    assert_eq!(q::<Vec<Value>>(&mut con, &["EXEC"]), [Value::Nil]);
}

#[test]
fn blpop_rejects_bad_timeouts() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(
        err(&mut con, &["BLPOP", "l", "-1"]),
        "ERR timeout is negative"
    );
    assert_eq!(
        err(&mut con, &["BLPOP", "l", "soon"]),
        "ERR timeout is not a float or out of range"
    );
    let _: () = q(&mut con, &["SET", "str", "v"]);
    assert_eq!(
        err(&mut con, &["BLPOP", "str", "0"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        err(&mut con, &["BLPOP", "l"]),
        "ERR wrong number of arguments for 'blpop' command"
    );
}

/// SWAPDB brings a list into the database a client is blocked in: it is served, as in Redis.
#[test]
fn swapdb_serves_a_client_blocked_on_a_key_the_other_database_holds() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    // Not for ever: without the wake-up the test fails with a nil, not a hang.
    let waiter = spawn_blocked(&node, &["BRPOP", "jobs", "10"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(q::<i64>(&mut con, &["RPUSH", "jobs", "a", "b"]), 2);
    let _: () = q(&mut con, &["SWAPDB", "0", "1"]);
    assert_eq!(
        waiter.join().unwrap(),
        Value::Array(vec![bulk("jobs"), bulk("b")])
    );
    // Database 1 now holds what 0 had (nothing); 0 holds the rest of the list.
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "jobs"]), 0);
    let _: () = q(&mut con, &["SELECT", "0"]);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "jobs", "0", "-1"]),
        ["a"]
    );
}
