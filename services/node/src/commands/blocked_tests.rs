//! The blocking commands added beside BLPOP (BZPOPMIN, BZPOPMAX, BZMPOP, BLMPOP,
//! BRPOPLPUSH) and their non-blocking forms, against one engine shared by several
//! sessions. Expected replies were checked against Redis 7.0.15.

use crate::commands::testing::{bulk, bulks, setup, Client, TestNode};
use crate::commands::Response;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

fn d(value: f64) -> Reply {
    Reply::Double(value)
}

fn pair(member: &str, score: f64) -> Reply {
    Reply::Array(vec![bulk(member), d(score)])
}

/// `[key, [elements...]]`, what LMPOP and BLMPOP answer.
fn keyed(key: &str, items: Reply) -> Reply {
    Reply::Array(vec![bulk(key), items])
}

fn error(text: &'static str) -> Reply {
    Reply::Error(CmdError::err(text))
}

/// Replays what `node` recorded on a fresh node and compares their digests.
fn assert_replays(node: &mut TestNode, records: Vec<Vec<String>>) {
    let mut replica = TestNode::new();
    for record in &records {
        let args: Vec<&str> = record.iter().map(String::as_str).collect();
        let reply = replica.run(&args);
        assert!(!matches!(reply, Reply::Error(_)), "{args:?}: {reply:?}");
    }
    assert_eq!(
        node.run(&["DEBUG", "DIGEST"]),
        replica.run(&["DEBUG", "DIGEST"])
    );
}

#[test]
fn bzpopmin_and_bzpopmax_answer_at_once_from_the_first_non_empty_key() {
    let (mut node, mut client, _) = setup();
    client.run(&mut node, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    let reply = client.run(&mut node, &["BZPOPMIN", "none", "z", "0"]);
    assert_eq!(reply, Reply::Array(vec![bulk("z"), bulk("a"), d(1.0)]));
    let reply = client.run(&mut node, &["BZPOPMAX", "z", "0"]);
    assert_eq!(reply, Reply::Array(vec![bulk("z"), bulk("c"), d(3.0)]));
    client.run(&mut node, &["SET", "s", "x"]);
    assert_eq!(
        client.run(&mut node, &["BZPOPMIN", "s", "z", "0"]),
        Reply::Error(CmdError::WrongType)
    );
    assert_eq!(
        client.run(&mut node, &["BZPOPMIN", "z", "x"]),
        error("timeout is not a float or out of range")
    );
    let records = node.records();
    assert_eq!(records[1], ["ZREM", "z", "a"]);
    assert_eq!(records[2], ["ZREM", "z", "c"]);
}

#[test]
fn zmpop_pops_up_to_count_from_the_first_set() {
    let (mut node, mut client, _) = setup();
    client.run(&mut node, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    node.records();
    let reply = client.run(&mut node, &["ZMPOP", "2", "none", "z", "MAX", "COUNT", "2"]);
    let expected = keyed("z", Reply::Array(vec![pair("c", 3.0), pair("b", 2.0)]));
    assert_eq!(reply, expected);
    let reply = client.run(&mut node, &["ZMPOP", "1", "z", "MIN", "COUNT", "10"]);
    assert_eq!(reply, keyed("z", Reply::Array(vec![pair("a", 1.0)])));
    assert_eq!(
        client.run(&mut node, &["ZMPOP", "1", "z", "MIN"]),
        Reply::NilArray
    );
    assert_eq!(
        client.run(&mut node, &["ZMPOP", "1", "z", "MED"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.records(),
        [vec!["ZREM", "z", "c", "b"], vec!["ZREM", "z", "a"]]
    );
}

#[test]
fn lmpop_pops_up_to_count_and_records_the_count_it_took() {
    let (mut node, mut client, _) = setup();
    client.run(&mut node, &["RPUSH", "l", "a", "b", "c"]);
    node.records();
    let reply = client.run(
        &mut node,
        &["LMPOP", "2", "none", "l", "RIGHT", "COUNT", "5"],
    );
    assert_eq!(reply, keyed("l", bulks(&["c", "b", "a"])));
    assert_eq!(
        client.run(&mut node, &["LMPOP", "1", "l", "LEFT"]),
        Reply::NilArray
    );
    assert_eq!(node.records(), [vec!["RPOP", "l", "3"]]);
}

#[test]
fn a_blocked_bzpopmin_is_served_by_a_zadd_and_recorded_as_a_zrem() {
    let (mut node, mut waiting, mut writer) = setup();
    let mut blocked = waiting.block(&mut node, &["BZPOPMIN", "z", "0"]);
    assert!(waiting.is_blocked(&node));
    writer.run(&mut node, &["ZADD", "z", "2", "b", "1", "a"]);
    assert_eq!(
        blocked.served(),
        Some(Reply::Array(vec![bulk("z"), bulk("a"), d(1.0)]))
    );
    assert!(!waiting.is_blocked(&node));
    let records = node.records();
    assert_eq!(records[1], ["ZREM", "z", "a"]);
    assert_replays(&mut node, records);
}

#[test]
fn a_blocked_bzmpop_and_blmpop_take_their_count() {
    let (mut node, mut first, mut second) = setup();
    let mut writer = Client::connect(&mut node);
    let mut zpop = first.block(&mut node, &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]);
    let mut lpop = second.block(
        &mut node,
        &["BLMPOP", "0", "2", "x", "l", "LEFT", "COUNT", "2"],
    );
    writer.run(&mut node, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    let expected = keyed("z", Reply::Array(vec![pair("c", 3.0), pair("b", 2.0)]));
    assert_eq!(zpop.served(), Some(expected));
    writer.run(&mut node, &["RPUSH", "l", "1", "2", "3"]);
    assert_eq!(lpop.served(), Some(keyed("l", bulks(&["1", "2"]))));
    let records = node.records();
    assert_eq!(records[1], ["ZREM", "z", "c", "b"]);
    assert_eq!(records[3], ["LPOP", "l", "2"]);
    assert_replays(&mut node, records);
}

#[test]
fn a_waiter_for_another_type_stays_blocked_and_keeps_its_turn() {
    let (mut node, mut zset_waiter, mut list_waiter) = setup();
    let mut writer = Client::connect(&mut node);
    let mut zpop = zset_waiter.block(&mut node, &["BZPOPMIN", "k", "0"]);
    let mut lpop = list_waiter.block(&mut node, &["BLPOP", "k", "0"]);
    writer.run(&mut node, &["RPUSH", "k", "x"]);
    assert_eq!(lpop.served(), Some(bulks(&["k", "x"])));
    assert_eq!(zpop.served(), None);
    assert!(zset_waiter.is_blocked(&node));
    writer.run(&mut node, &["ZADD", "k", "5", "m"]);
    assert_eq!(
        zpop.served(),
        Some(Reply::Array(vec![bulk("k"), bulk("m"), d(5.0)]))
    );
}

#[test]
fn brpoplpush_moves_at_once_or_when_served() {
    let (mut node, mut waiting, mut writer) = setup();
    writer.run(&mut node, &["RPUSH", "src", "1", "2"]);
    assert_eq!(
        writer.run(&mut node, &["BRPOPLPUSH", "src", "dst", "0"]),
        bulk("2")
    );
    let mut blocked = waiting.block(&mut node, &["BRPOPLPUSH", "empty", "dst", "0"]);
    writer.run(&mut node, &["LPUSH", "empty", "e"]);
    assert_eq!(blocked.served(), Some(bulk("e")));
    assert_eq!(
        writer.run(&mut node, &["LRANGE", "dst", "0", "-1"]),
        bulks(&["e", "2"])
    );
    let records = node.records();
    assert_eq!(records[1], ["LMOVE", "src", "dst", "RIGHT", "LEFT"]);
    assert_eq!(records[3], ["LMOVE", "empty", "dst", "RIGHT", "LEFT"]);
    assert_replays(&mut node, records);
}

#[test]
fn inside_exec_they_answer_at_once() {
    let (mut node, mut client, _) = setup();
    for args in [
        &["BZPOPMIN", "z", "0"][..],
        &["BZPOPMAX", "z", "0"],
        &["BZMPOP", "0", "1", "z", "MIN"],
        &["BLMPOP", "0", "1", "l", "LEFT"],
    ] {
        let reply = client.send(&mut node, args, true);
        assert!(
            matches!(reply, Response::Reply(Reply::NilArray)),
            "{args:?}"
        );
    }
    let reply = client.send(&mut node, &["BRPOPLPUSH", "l", "d", "0"], true);
    assert!(matches!(reply, Response::Reply(Reply::Nil)));
    assert_eq!(node.engine.blocking.waiting_count(), 0);
}

#[test]
fn blmpop_reads_its_timeout_after_the_other_arguments() {
    let (mut node, mut client, _) = setup();
    let numkeys = error("numkeys should be greater than 0");
    assert_eq!(
        client.run(&mut node, &["BLMPOP", "x", "0", "l", "LEFT"]),
        numkeys
    );
    assert_eq!(
        client.run(&mut node, &["BZMPOP", "x", "1", "z", "UP"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        client.run(&mut node, &["BLMPOP", "x", "1", "l", "LEFT"]),
        error("timeout is not a float or out of range")
    );
    assert_eq!(
        client.run(&mut node, &["BZMPOP", "-1", "1", "z", "MIN"]),
        error("timeout is negative")
    );
}
