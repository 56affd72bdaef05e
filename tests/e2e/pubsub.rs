//! Pub/sub with a real client: https://redis.io/docs/interact/pubsub/

use std::time::Duration;

use redis::Value;
use rg_testkit::{assert_eventually, Node};

use crate::support::{connect, q, Raw};

fn numsub(con: &mut redis::Connection, channel: &str) -> i64 {
    let (_, count): (String, i64) = q(con, &["PUBSUB", "NUMSUB", channel]);
    count
}

#[test]
fn subscribers_receive_messages_and_pattern_messages() {
    let node = Node::start(&[]);
    let mut publisher = connect(&node);
    let mut subscriber = connect(&node);
    let mut pubsub = subscriber.as_pubsub();
    pubsub
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    pubsub.subscribe("news.sport").unwrap();
    pubsub.psubscribe("news.*").unwrap();
    // One connection counts once per subscription that matches.
    assert_eq!(
        q::<i64>(&mut publisher, &["PUBLISH", "news.sport", "goal"]),
        2
    );
    assert_eq!(
        q::<i64>(&mut publisher, &["PUBLISH", "news.weather", "rain"]),
        1
    );
    assert_eq!(
        q::<i64>(&mut publisher, &["PUBLISH", "elsewhere", "nobody"]),
        0
    );
    let mut received = Vec::new();
    for _ in 0..3 {
        let msg = pubsub.get_message().expect("a message arrives");
        let pattern: Option<String> = msg.get_pattern().ok();
        let payload: String = msg.get_payload().unwrap();
        received.push((msg.get_channel_name().to_string(), payload, pattern));
    }
    received.sort();
    let expected = [
        ("news.sport", "goal", None),
        ("news.sport", "goal", Some("news.*")),
        ("news.weather", "rain", Some("news.*")),
    ];
    let expected: Vec<(String, String, Option<String>)> = expected
        .iter()
        .map(|(c, p, pat)| (c.to_string(), p.to_string(), pat.map(String::from)))
        .collect();
    assert_eq!(received, expected);
}

#[test]
fn publish_counts_every_subscribed_connection() {
    let node = Node::start(&[]);
    let mut publisher = connect(&node);
    let mut first = connect(&node);
    let mut second = connect(&node);
    let mut a = first.as_pubsub();
    let mut b = second.as_pubsub();
    a.subscribe("ch").unwrap();
    b.subscribe("ch").unwrap();
    assert_eq!(q::<i64>(&mut publisher, &["PUBLISH", "ch", "hello"]), 2);
    for sub in [&mut a, &mut b] {
        sub.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let msg = sub.get_message().expect("a message arrives");
        assert_eq!(msg.get_channel_name(), "ch");
        assert_eq!(msg.get_payload::<String>().unwrap(), "hello");
    }
}

#[test]
fn pubsub_introspection_and_unsubscribe() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut subscriber = connect(&node);
    let mut pubsub = subscriber.as_pubsub();
    pubsub.subscribe("news.sport").unwrap();
    pubsub.subscribe("chat").unwrap();
    pubsub.psubscribe("news.*").unwrap();
    let counts: Vec<Value> = q(&mut con, &["PUBSUB", "NUMSUB", "news.sport", "other"]);
    let expected = [
        Value::BulkString(b"news.sport".to_vec()),
        Value::Int(1),
        Value::BulkString(b"other".to_vec()),
        Value::Int(0),
    ];
    assert_eq!(counts, expected);
    let mut channels: Vec<String> = q(&mut con, &["PUBSUB", "CHANNELS"]);
    channels.sort();
    assert_eq!(channels, ["chat", "news.sport"]);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["PUBSUB", "CHANNELS", "news*"]),
        ["news.sport"]
    );
    assert_eq!(q::<i64>(&mut con, &["PUBSUB", "NUMPAT"]), 1);
    pubsub.unsubscribe("news.sport").unwrap();
    pubsub.punsubscribe("news.*").unwrap();
    assert_eventually!(numsub(&mut con, "news.sport") == 0);
    assert_eq!(q::<i64>(&mut con, &["PUBSUB", "NUMPAT"]), 0);
    assert_eq!(q::<i64>(&mut con, &["PUBLISH", "news.sport", "x"]), 0);
    assert_eq!(q::<i64>(&mut con, &["PUBLISH", "chat", "x"]), 1);
}

#[test]
fn a_resp2_subscriber_may_only_run_subscribe_commands_and_ping() {
    let node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(
        b"SUBSCRIBE ch\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
    );
    raw.roundtrip(
        b"GET k\r\n",
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
          are allowed in this context\r\n",
    );
    raw.roundtrip(b"PING\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    raw.roundtrip(
        b"UNSUBSCRIBE\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n",
    );
    // Out of subscribe mode, everything works again.
    raw.roundtrip(b"PING\r\n", b"+PONG\r\n");
    raw.roundtrip(b"GET k\r\n", b"$-1\r\n");
}

#[test]
fn a_disconnected_subscriber_is_forgotten() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(
        b"SUBSCRIBE gone\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\ngone\r\n:1\r\n",
    );
    assert_eq!(numsub(&mut con, "gone"), 1);
    drop(raw);
    assert_eventually!(numsub(&mut con, "gone") == 0);
    assert_eq!(q::<i64>(&mut con, &["PUBLISH", "gone", "x"]), 0);
}
