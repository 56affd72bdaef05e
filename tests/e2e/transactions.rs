//! MULTI/EXEC/DISCARD/WATCH with a real client: https://redis.io/docs/interact/transactions/

use redis::Value;
use rg_testkit::Node;

use crate::support::{connect, err, q, Raw};

#[test]
fn multi_exec_runs_the_queued_commands_in_order() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MULTI"]);
    assert_eq!(q::<String>(&mut con, &["SET", "a", "1"]), "QUEUED");
    assert_eq!(q::<String>(&mut con, &["INCR", "a"]), "QUEUED");
    assert_eq!(q::<String>(&mut con, &["GET", "a"]), "QUEUED");
    let replies: Vec<Value> = q(&mut con, &["EXEC"]);
    assert_eq!(
        replies,
        [Value::Okay, Value::Int(2), Value::BulkString(b"2".to_vec())]
    );
    // The redis crate's atomic pipeline wraps the same in MULTI/EXEC.
    let (x, y): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("a")
        .cmd("INCR")
        .arg("a")
        .query(&mut con)
        .unwrap();
    assert_eq!((x, y), (3, 4));
}

#[test]
fn discard_drops_the_queue() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["SET", "a", "1"]);
    let _: () = q(&mut con, &["DISCARD"]);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "a"]), 0);
    assert_eq!(err(&mut con, &["DISCARD"]), "ERR DISCARD without MULTI");
    assert_eq!(err(&mut con, &["EXEC"]), "ERR EXEC without MULTI");
    let _: () = q(&mut con, &["MULTI"]);
    assert_eq!(
        err(&mut con, &["MULTI"]),
        "ERR MULTI calls can not be nested"
    );
    let _: () = q(&mut con, &["DISCARD"]);
}

#[test]
fn a_queued_unknown_command_makes_exec_abort() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["SET", "a", "1"]);
    assert_eq!(
        err(&mut con, &["NOSUCHCMD", "x"]),
        "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' "
    );
    assert_eq!(
        err(&mut con, &["EXEC"]),
        "EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "a"]), 0);
}

#[test]
fn a_queued_arity_error_makes_exec_abort() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["SET", "a", "1"]);
    assert_eq!(
        err(&mut con, &["GET"]),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        err(&mut con, &["EXEC"]),
        "EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "a"]), 0);
}

#[test]
fn a_runtime_error_inside_exec_does_not_stop_the_others() {
    let node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(b"MULTI\r\n", b"+OK\r\n");
    raw.roundtrip(b"SET t abc\r\n", b"+QUEUED\r\n");
    raw.roundtrip(b"INCR t\r\n", b"+QUEUED\r\n");
    raw.roundtrip(b"SET u 1\r\n", b"+QUEUED\r\n");
    raw.roundtrip(
        b"EXEC\r\n",
        b"*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n",
    );
    raw.roundtrip(b"GET u\r\n", b"$1\r\n1\r\n");
}

#[test]
fn watch_aborts_exec_when_another_client_writes_the_key() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut other = connect(&node);
    let _: () = q(&mut con, &["SET", "balance", "10"]);
    let _: () = q(&mut con, &["WATCH", "balance"]);
    let _: () = q(&mut other, &["SET", "balance", "20"]);
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["SET", "balance", "11"]);
    assert_eq!(q::<Value>(&mut con, &["EXEC"]), Value::Nil);
    assert_eq!(q::<String>(&mut con, &["GET", "balance"]), "20");
    // EXEC forgets the watches: the next transaction goes through.
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["SET", "balance", "12"]);
    assert_eq!(q::<Vec<Value>>(&mut con, &["EXEC"]), [Value::Okay]);
}

#[test]
fn watch_without_interference_lets_exec_through() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut other = connect(&node);
    let _: () = q(&mut con, &["SET", "balance", "10"]);
    let _: () = q(&mut con, &["WATCH", "balance", "unrelated"]);
    // A write to some other key does not touch the watched ones.
    let _: () = q(&mut other, &["SET", "elsewhere", "1"]);
    let current: i64 = q(&mut con, &["GET", "balance"]);
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["SET", "balance", &(current + 1).to_string()]);
    assert_eq!(q::<Vec<Value>>(&mut con, &["EXEC"]), [Value::Okay]);
    assert_eq!(q::<String>(&mut con, &["GET", "balance"]), "11");
}

#[test]
fn unwatch_forgets_the_watched_keys() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut other = connect(&node);
    let _: () = q(&mut con, &["WATCH", "k"]);
    let _: () = q(&mut con, &["UNWATCH"]);
    let _: () = q(&mut other, &["SET", "k", "changed"]);
    let _: () = q(&mut con, &["MULTI"]);
    let _: String = q(&mut con, &["GET", "k"]);
    let replies: Vec<Value> = q(&mut con, &["EXEC"]);
    assert_eq!(replies, [Value::BulkString(b"changed".to_vec())]);
}
