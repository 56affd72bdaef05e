//! Streams with clients at work: blocked XREAD and XREADGROUP served by other clients,
//! a group's state through full sync and the replication stream, and the router.

use std::thread;
use std::time::Duration;

use redis::Value;
use rg_testkit::{assert_eventually, Node};

use crate::replication::{converged, Group};
use crate::support::{connect, q, wait_for_blocked_clients};

fn spawn_read(node_port: u16, args: Vec<&'static str>) -> thread::JoinHandle<Value> {
    thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{node_port}")).unwrap();
        let mut con = client.get_connection().unwrap();
        crate::support::command(&args)
            .query::<Value>(&mut con)
            .unwrap()
    })
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn entry(id: &str, fields: &[&str]) -> Value {
    Value::Array(vec![
        bulk(id),
        Value::Array(fields.iter().map(|f| bulk(f)).collect()),
    ])
}

/// XREAD BLOCK with `$` waits for the next XADD from another client; one that times out
/// answers nil.
#[test]
fn a_blocked_xread_is_woken_by_xadd_and_times_out_otherwise() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: String = q(&mut con, &["XADD", "s", "1-1", "old", "x"]);
    let reader = spawn_read(node.port, vec!["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: String = q(&mut con, &["XADD", "s", "2-1", "new", "y"]);
    let expected = Value::Array(vec![Value::Array(vec![
        bulk("s"),
        Value::Array(vec![entry("2-1", &["new", "y"])]),
    ])]);
    assert_eq!(reader.join().unwrap(), expected);
    let timed_out = spawn_read(node.port, vec!["XREAD", "BLOCK", "50", "STREAMS", "s", "$"]);
    assert_eq!(timed_out.join().unwrap(), Value::Nil);
}

/// XREADGROUP BLOCK gets what XADD adds and leaves it pending; a blocked group reader fails
/// when its group is destroyed or its key deleted, with Redis's errors.
#[test]
fn a_blocked_xreadgroup_is_served_and_fails_when_its_group_goes() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let args = vec![
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let reader = spawn_read(node.port, args.clone());
    wait_for_blocked_clients(&mut con, 1);
    let _: String = q(&mut con, &["XADD", "s", "5-1", "f", "v"]);
    let expected = Value::Array(vec![Value::Array(vec![
        bulk("s"),
        Value::Array(vec![entry("5-1", &["f", "v"])]),
    ])]);
    assert_eq!(reader.join().unwrap(), expected);
    let pending: Value = q(&mut con, &["XPENDING", "s", "g"]);
    assert_eq!(
        pending,
        Value::Array(vec![
            Value::Int(1),
            bulk("5-1"),
            bulk("5-1"),
            Value::Array(vec![Value::Array(vec![bulk("c"), bulk("1")])]),
        ])
    );
    let failing = |args: Vec<&'static str>, then: &[&str], expected: &str| {
        let port = node.port;
        let reader = thread::spawn(move || {
            let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
            let mut con = client.get_connection().unwrap();
            crate::support::err(&mut con, &args)
        });
        let mut con = connect(&node);
        wait_for_blocked_clients(&mut con, 1);
        let _: Value = q(&mut con, then);
        assert_eq!(reader.join().unwrap(), expected);
    };
    failing(
        args.clone(),
        &["XGROUP", "DESTROY", "s", "g"],
        "NOGROUP the consumer group this client was blocked on no longer exists",
    );
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "g", "$"]);
    failing(
        args,
        &["DEL", "s"],
        "UNBLOCKED the stream key no longer exists",
    );
}

/// A group with consumers, pending entries and deletions reaches a replica by full sync
/// (the snapshot's XADD/XSETID/XGROUP/XCLAIM form) and by the stream (XREADGROUP's
/// XCLAIMs); the digests match and the replica answers the same XINFO and XPENDING.
#[test]
fn streams_and_their_groups_replicate_by_full_sync_and_by_the_stream() {
    let group = Group::new("streams");
    let primary = group.node("p", None, &[]);
    let mut con = connect(&primary);
    for i in 1..=20 {
        let _: String = q(
            &mut con,
            &["XADD", "s", &format!("{i}-1"), "n", &i.to_string()],
        );
    }
    let _: String = q(&mut con, &["XADD", "auto", "*", "f", "v"]);
    let _: String = q(
        &mut con,
        &["XADD", "auto", "MAXLEN", "~", "1", "*", "f", "v"],
    );
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "g", "0"]);
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "late", "$"]);
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "5",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: i64 = q(&mut con, &["XACK", "s", "g", "2-1"]);
    let _: i64 = q(&mut con, &["XDEL", "s", "10-1"]);
    // A pending entry whose entry is deleted, and a group whose entries were trimmed away.
    let _: i64 = q(&mut con, &["XDEL", "s", "4-1"]);
    let _: () = q(&mut con, &["XGROUP", "CREATE", "auto", "g", "0"]);
    let _: Value = q(
        &mut con,
        &["XREADGROUP", "GROUP", "g", "x", "STREAMS", "auto", ">"],
    );
    let _: i64 = q(&mut con, &["XTRIM", "auto", "MAXLEN", "0"]);
    let _: i64 = q(&mut con, &["XGROUP", "CREATECONSUMER", "s", "g", "idle"]);
    let _: () = q(
        &mut con,
        &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"],
    );
    let replica = group.node("r", Some("p"), &[]);
    let mut reader = connect(&replica);
    assert_eventually!(converged(&primary, &[&replica]));
    // After the full sync: the stream of records.
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "4",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: Value = q(&mut con, &["XCLAIM", "s", "g", "d", "0", "1-1", "3-1"]);
    let _: Value = q(
        &mut con,
        &["XAUTOCLAIM", "s", "g", "e", "0", "0", "COUNT", "2"],
    );
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "f",
            "NOACK",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: i64 = q(&mut con, &["XTRIM", "s", "MAXLEN", "~", "5"]);
    assert_eventually!(converged(&primary, &[&replica]));
    for args in [
        &["XINFO", "GROUPS", "s"][..],
        &["XPENDING", "s", "g"],
        &["XRANGE", "s", "-", "+"],
        &["XRANGE", "auto", "-", "+"],
        &["XINFO", "GROUPS", "empty"],
        &["XPENDING", "auto", "g", "-", "+", "10"],
        &["XINFO", "GROUPS", "auto"],
    ] {
        let on_primary: Value = q(&mut con, args);
        let on_replica: Value = q(&mut reader, args);
        // Idle times are read a moment apart on the two nodes: compare all but them.
        assert_eq!(
            without_idle(on_replica),
            without_idle(on_primary),
            "{args:?}"
        );
    }
    let consumers: Value = q(&mut reader, &["XINFO", "CONSUMERS", "s", "g"]);
    let names = format!("{consumers:?}");
    for name in ["\"a\"", "\"b\"", "\"idle\"", "\"f\""] {
        assert!(
            names.contains(&name.replace('"', "")),
            "{name} on the replica: {names}"
        );
    }
}

/// Through the router: XADD and XREADGROUP go to the primary, XRANGE may be read from a
/// replica, and XREAD BLOCK waits on its own pinned connection.
#[test]
fn streams_work_through_the_router() {
    let (_group, router) = crate::router::group_with_router(&[]);
    let mut con = router.connect(router.smart);
    let _: String = q(&mut con, &["XADD", "rs", "1-1", "f", "v"]);
    let _: () = q(&mut con, &["XGROUP", "CREATE", "rs", "g", "0"]);
    let read: Value = q(
        &mut con,
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rs", ">"],
    );
    assert_eq!(
        read,
        Value::Array(vec![Value::Array(vec![
            bulk("rs"),
            Value::Array(vec![entry("1-1", &["f", "v"])]),
        ])])
    );
    assert_eventually!(
        q::<Value>(&mut con, &["XRANGE", "rs", "-", "+"])
            == Value::Array(vec![entry("1-1", &["f", "v"])])
    );
    let port = router.smart;
    let blocked = thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
        let mut con = client.get_connection().unwrap();
        crate::support::command(&["XREAD", "BLOCK", "10000", "STREAMS", "rs", "$"])
            .query::<Value>(&mut con)
            .unwrap()
    });
    thread::sleep(Duration::from_millis(500));
    let _: String = q(&mut con, &["XADD", "rs", "2-1", "g", "w"]);
    let expected = Value::Array(vec![Value::Array(vec![
        bulk("rs"),
        Value::Array(vec![entry("2-1", &["g", "w"])]),
    ])]);
    assert_eq!(blocked.join().unwrap(), expected);
}

/// An extended XPENDING reply with each entry's idle time (its third field) zeroed.
fn without_idle(reply: Value) -> Value {
    match reply {
        Value::Array(entries) => Value::Array(
            entries
                .into_iter()
                .map(|entry| match entry {
                    Value::Array(mut fields) if fields.len() == 4 => {
                        fields[2] = Value::Int(0);
                        Value::Array(fields)
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}
