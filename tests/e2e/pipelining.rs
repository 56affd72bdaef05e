//! Pipelining: many commands written before any reply is read get their replies in order.

use redis::Value;
use rg_testkit::Node;

use crate::support::{connect, q, Raw};

#[test]
fn a_pipeline_of_1000_mixed_commands_gets_1000_replies_in_order() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut pipe = redis::pipe();
    for i in 0..250 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(format!("v{i}"));
        pipe.cmd("INCR").arg("counter");
        pipe.cmd("GET").arg(format!("k{i}"));
        pipe.cmd("RPUSH").arg("list").arg(i);
    }
    let replies: Vec<Value> = pipe.query(&mut con).expect("the pipeline succeeds");
    assert_eq!(replies.len(), 1000);
    for (i, chunk) in replies.chunks(4).enumerate() {
        let n = i as i64 + 1;
        let value = Value::BulkString(format!("v{i}").into_bytes());
        assert_eq!(
            chunk,
            [Value::Okay, Value::Int(n), value, Value::Int(n)],
            "round {i}"
        );
    }
    assert_eq!(q::<i64>(&mut con, &["LLEN", "list"]), 250);
}

#[test]
fn errors_inside_a_raw_pipeline_keep_their_place() {
    let node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(b"SET word abc\r\n", b"+OK\r\n");
    let mut request = Vec::new();
    let mut expected = Vec::new();
    for i in 0..250 {
        let key = format!("k{i}");
        let echo = format!("e{i}");
        request.extend_from_slice(format!("SET {key} {i}\r\nINCR {key}\r\n").as_bytes());
        request.extend_from_slice(b"INCR word\r\n");
        request.extend_from_slice(
            format!("*2\r\n$4\r\nECHO\r\n${}\r\n{echo}\r\n", echo.len()).as_bytes(),
        );
        expected.extend_from_slice(format!("+OK\r\n:{}\r\n", i + 1).as_bytes());
        expected.extend_from_slice(b"-ERR value is not an integer or out of range\r\n");
        expected.extend_from_slice(format!("${}\r\n{echo}\r\n", echo.len()).as_bytes());
    }
    raw.roundtrip(&request, &expected);
}
