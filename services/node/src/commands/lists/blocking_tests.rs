//! BLPOP, BRPOP, BLMOVE and the serving of blocked clients, with several sessions sharing
//! one engine, as several connections do.

use tokio::sync::oneshot;

use super::tests::{exists, set_string};
use crate::commands::serve_blocked;
use crate::commands::testing::{bulk, bulks, setup, Client};
use crate::commands::Response;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

#[test]
fn blpop_answers_at_once_from_the_first_non_empty_key() {
    let (mut node, mut client, _) = setup();
    client.run(&mut node, &["RPUSH", "b", "x", "y"]);
    node.records();
    let reply = client.run(&mut node, &["BLPOP", "a", "b", "0"]);
    assert_eq!(reply, bulks(&["b", "x"]));
    assert_eq!(
        client.run(&mut node, &["BRPOP", "b", "1"]),
        bulks(&["b", "y"])
    );
    assert!(!exists(&node, "b"));
    assert_eq!(node.records(), [vec!["LPOP", "b"], vec!["RPOP", "b"]]);
}

#[test]
fn blpop_errors_on_bad_timeouts_and_wrong_types() {
    let (mut node, mut client, _) = setup();
    set_string(&mut node, "s");
    client.run(&mut node, &["RPUSH", "l", "x"]);
    let wrongtype = Reply::Error(CmdError::WrongType);
    assert_eq!(
        client.run(&mut node, &["BLPOP", "nokey", "s", "l", "0"]),
        wrongtype
    );
    assert_eq!(
        client.run(&mut node, &["BLPOP", "l", "s", "0"]),
        bulks(&["l", "x"])
    );
    let negative = Reply::Error(CmdError::err("timeout is negative"));
    assert_eq!(client.run(&mut node, &["BLPOP", "l", "-1"]), negative);
    let not_float = Reply::Error(CmdError::err("timeout is not a float or out of range"));
    assert_eq!(client.run(&mut node, &["BRPOP", "l", "x"]), not_float);
    let syntax = Reply::Error(CmdError::Syntax);
    assert_eq!(
        client.run(&mut node, &["BLMOVE", "l", "d", "UP", "LEFT", "0"]),
        syntax
    );
}

#[test]
fn blpop_on_empty_keys_blocks_until_a_push_serves_it() {
    let (mut node, mut waiting, mut pusher) = setup();
    let mut blocked = waiting.block(&mut node, &["BLPOP", "a", "b", "0"]);
    assert_eq!(blocked.deadline, None);
    assert!(waiting.is_blocked(&node));
    assert_eq!(node.engine.blocking.waiting_count(), 1);
    assert_eq!(blocked.served(), None);

    assert_eq!(
        pusher.run(&mut node, &["RPUSH", "b", "x", "y"]),
        Reply::Int(2)
    );
    assert_eq!(blocked.served(), Some(bulks(&["b", "x"])));
    assert!(!waiting.is_blocked(&node));
    assert_eq!(node.engine.blocking.waiting_count(), 0);
    assert_eq!(
        pusher.run(&mut node, &["LRANGE", "b", "0", "-1"]),
        bulks(&["y"])
    );
    assert_eq!(
        node.records(),
        [vec!["RPUSH", "b", "x", "y"], vec!["LPOP", "b"]]
    );
    // Served: the connection's timeout finds nothing to unblock.
    assert!(node.engine.blocking.unblock(blocked.waiter).is_none());
}

#[test]
fn waiters_are_served_in_the_order_they_blocked() {
    let (mut node, mut first, mut second) = setup();
    let mut pusher = Client::connect(&mut node);
    let mut a = first.block(&mut node, &["BRPOP", "l", "0"]);
    let mut b = second.block(&mut node, &["BRPOP", "l", "other", "0"]);

    pusher.run(&mut node, &["LPUSH", "l", "1"]);
    assert_eq!(a.served(), Some(bulks(&["l", "1"])));
    assert_eq!(b.served(), None);
    assert!(second.is_blocked(&node));

    pusher.run(&mut node, &["LPUSH", "l", "2", "3"]);
    assert_eq!(b.served(), Some(bulks(&["l", "2"])));
    assert_eq!(
        pusher.run(&mut node, &["LRANGE", "l", "0", "-1"]),
        bulks(&["3"])
    );
    // The second waiter was removed from every key it waited on.
    assert!(node.engine.blocking.waiters_on(0, b"other").is_empty());
    let records = node.records();
    assert_eq!(records[1], ["RPOP", "l"]);
    assert_eq!(records[3], ["RPOP", "l"]);
}

#[test]
fn a_timed_out_waiter_is_unblocked_and_not_served() {
    let (mut node, mut waiting, mut pusher) = setup();
    let now = node.now;
    let mut blocked = waiting.block(&mut node, &["BLPOP", "l", "1.5"]);
    assert_eq!(blocked.deadline, Some(now + 1500));
    // What the connection does when the deadline passes.
    assert!(node.engine.blocking.unblock(blocked.waiter).is_some());
    pusher.run(&mut node, &["RPUSH", "l", "x"]);
    assert!(matches!(
        blocked.rx.try_recv(),
        Err(oneshot::error::TryRecvError::Closed)
    ));
    assert_eq!(pusher.run(&mut node, &["LLEN", "l"]), Reply::Int(1));
    assert_eq!(node.records(), [vec!["RPUSH", "l", "x"]]);
}

#[test]
fn a_gone_client_is_skipped_and_the_next_one_served() {
    let (mut node, mut first, mut second) = setup();
    let gone = first.block(&mut node, &["BLPOP", "l", "0"]);
    let mut waiting = second.block(&mut node, &["BLPOP", "l", "0"]);
    drop(gone.rx);
    first.run(&mut node, &["RPUSH", "l", "x"]);
    assert_eq!(waiting.served(), Some(bulks(&["l", "x"])));
    assert!(!first.is_blocked(&node));
    assert_eq!(node.engine.blocking.waiting_count(), 0);
}

#[test]
fn blocking_commands_inside_exec_answer_null_at_once() {
    let (mut node, mut client, _) = setup();
    let reply = client.send(&mut node, &["BLPOP", "l", "0"], true);
    assert!(matches!(reply, Response::Reply(Reply::NilArray)));
    let reply = client.send(&mut node, &["BRPOP", "l", "0"], true);
    assert!(matches!(reply, Response::Reply(Reply::NilArray)));
    let reply = client.send(&mut node, &["BLMOVE", "l", "d", "LEFT", "LEFT", "0"], true);
    assert!(matches!(reply, Response::Reply(Reply::Nil)));
    assert_eq!(node.engine.blocking.waiting_count(), 0);
    assert!(!client.is_blocked(&node));
}

#[test]
fn blmove_moves_at_once_or_when_served() {
    let (mut node, mut waiting, mut pusher) = setup();
    pusher.run(&mut node, &["RPUSH", "src", "a"]);
    let reply = waiting.run(&mut node, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    assert_eq!(reply, bulk("a"));

    let mut blocked = waiting.block(&mut node, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0.1"]);
    assert_eq!(blocked.deadline, Some(node.now + 100));
    pusher.run(&mut node, &["RPUSH", "src", "b", "c"]);
    assert_eq!(blocked.served(), Some(bulk("c")));
    assert_eq!(
        pusher.run(&mut node, &["LRANGE", "src", "0", "-1"]),
        bulks(&["b"])
    );
    assert_eq!(
        pusher.run(&mut node, &["LRANGE", "dst", "0", "-1"]),
        bulks(&["c", "a"])
    );
    assert_eq!(
        node.records(),
        [
            vec!["RPUSH", "src", "a"],
            vec!["LMOVE", "src", "dst", "LEFT", "RIGHT"],
            vec!["RPUSH", "src", "b", "c"],
            vec!["LMOVE", "src", "dst", "RIGHT", "LEFT"],
        ]
    );
}

#[test]
fn a_served_blmove_can_serve_a_waiter_on_its_destination() {
    let (mut node, mut mover, mut popper) = setup();
    let mut pusher = Client::connect(&mut node);
    let mut moved = mover.block(&mut node, &["BLMOVE", "a", "b", "LEFT", "LEFT", "0"]);
    let mut popped = popper.block(&mut node, &["BRPOP", "b", "0"]);
    pusher.run(&mut node, &["LPUSH", "a", "x"]);
    assert_eq!(moved.served(), Some(bulk("x")));
    assert_eq!(popped.served(), Some(bulks(&["b", "x"])));
    assert!(!exists(&node, "a") && !exists(&node, "b"));
    let records = node.records();
    assert_eq!(records[1], ["LMOVE", "a", "b", "LEFT", "LEFT"]);
    assert_eq!(records[2], ["RPOP", "b"]);
}

#[test]
fn a_blmove_to_a_wrong_type_fails_and_leaves_the_element() {
    let (mut node, mut mover, mut popper) = setup();
    set_string(&mut node, "s");
    let mut moved = mover.block(&mut node, &["BLMOVE", "l", "s", "LEFT", "LEFT", "0"]);
    let mut popped = popper.block(&mut node, &["BLPOP", "l", "0"]);
    popper.run(&mut node, &["RPUSH", "l", "x"]);
    assert_eq!(moved.served(), Some(Reply::Error(CmdError::WrongType)));
    assert_eq!(popped.served(), Some(bulks(&["l", "x"])));
    assert!(!mover.is_blocked(&node));
}

#[test]
fn an_expired_key_serves_nobody() {
    let (mut node, mut waiting, _) = setup();
    let mut blocked = waiting.block(&mut node, &["BLPOP", "l", "0"]);
    let list = Value::List(Box::new([SmallBytes::new(b"x")].into_iter().collect()));
    let slot = node.engine.dbs[0].keys.insert(b"l", list, 0);
    node.engine.dbs[0].keys.set_expiry(slot, node.now - 1);
    node.engine.touch(0, b"l");
    serve_blocked(&mut node.engine, node.now);
    assert_eq!(blocked.served(), None);
    assert!(!exists(&node, "l"));
    assert_eq!(node.records(), [vec!["DEL", "l"]]);
    assert!(waiting.is_blocked(&node));
}

#[test]
fn a_key_listed_twice_registers_one_waiter_entry() {
    let (mut node, mut waiting, mut pusher) = setup();
    let mut blocked = waiting.block(&mut node, &["BLPOP", "l", "l", "0"]);
    pusher.run(&mut node, &["RPUSH", "l", "x", "y"]);
    assert_eq!(blocked.served(), Some(bulks(&["l", "x"])));
    assert_eq!(pusher.run(&mut node, &["LLEN", "l"]), Reply::Int(1));
}
