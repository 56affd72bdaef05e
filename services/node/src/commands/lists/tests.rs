//! List commands against a TestNode, with the replies and errors Redis 7.0 gives.

use super::clamp_range;
use crate::commands::testing::{bulk, bulks, TestNode};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;

fn node_with(items: &[&str]) -> TestNode {
    let mut node = TestNode::new();
    let mut args = vec!["RPUSH", "l"];
    args.extend_from_slice(items);
    node.run(&args);
    node.records();
    node
}

/// Whether the key exists, read from the keyspace so these tests need no other family.
pub(super) fn exists(node: &TestNode, key: &str) -> bool {
    node.engine.dbs[0].keys.get(key.as_bytes()).is_some()
}

/// Stores a string, as SET would.
pub(super) fn set_string(node: &mut TestNode, key: &str) {
    let value = Value::Str(SmallBytes::new(b"x"));
    node.engine.dbs[0].keys.insert(key.as_bytes(), value, 0);
}

fn contents(node: &mut TestNode) -> Reply {
    node.run(&["LRANGE", "l", "0", "-1"])
}

fn err(text: &'static str) -> Reply {
    Reply::Error(CmdError::err(text))
}

fn ints(values: &[i64]) -> Reply {
    Reply::Array(values.iter().map(|&v| Reply::Int(v)).collect())
}

const WRONGTYPE: Reply = Reply::Error(CmdError::WrongType);

#[test]
fn pushes_add_in_argument_order_and_record_verbatim() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["LPUSH", "l", "a", "b"]), Reply::Int(2));
    assert_eq!(node.run(&["RPUSH", "l", "c"]), Reply::Int(3));
    assert_eq!(contents(&mut node), bulks(&["b", "a", "c"]));
    assert_eq!(
        node.records(),
        [vec!["LPUSH", "l", "a", "b"], vec!["RPUSH", "l", "c"]]
    );
}

#[test]
fn pushx_only_touches_existing_lists() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["LPUSHX", "l", "a"]), Reply::Int(0));
    assert!(!exists(&node, "l"));
    assert!(node.records().is_empty());
    node.run(&["RPUSH", "l", "a"]);
    assert_eq!(node.run(&["LPUSHX", "l", "b"]), Reply::Int(2));
    assert_eq!(node.run(&["RPUSHX", "l", "c", "d"]), Reply::Int(4));
    assert_eq!(contents(&mut node), bulks(&["b", "a", "c", "d"]));
}

#[test]
fn writes_to_other_types_are_wrongtype() {
    let mut node = TestNode::new();
    set_string(&mut node, "s");
    for args in [
        &["LPUSH", "s", "a"][..],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "0"],
        &["LRANGE", "s", "0", "1"],
        &["LLEN", "s"],
        &["LINDEX", "s", "x"],
        &["LSET", "s", "0", "x"],
        &["LREM", "s", "0", "x"],
        &["LTRIM", "s", "0", "1"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "d", "LEFT", "LEFT"],
    ] {
        assert_eq!(node.run(args), WRONGTYPE, "{args:?}");
    }
}

#[test]
fn pop_without_count_answers_a_bulk_and_deletes_emptied_lists() {
    let mut node = node_with(&["a", "b"]);
    assert_eq!(node.run(&["LPOP", "l"]), bulk("a"));
    assert_eq!(node.run(&["RPOP", "l"]), bulk("b"));
    assert!(!exists(&node, "l"));
    assert_eq!(node.run(&["LPOP", "l"]), Reply::Nil);
    assert_eq!(node.records(), [vec!["LPOP", "l"], vec!["RPOP", "l"]]);
}

#[test]
fn pop_with_count_answers_an_array() {
    let mut node = node_with(&["a", "b", "c"]);
    assert_eq!(node.run(&["LPOP", "l", "0"]), bulks(&[]));
    assert!(node.records().is_empty());
    assert_eq!(node.run(&["RPOP", "l", "2"]), bulks(&["c", "b"]));
    assert_eq!(
        node.run(&["LPOP", "l", "9223372036854775807"]),
        bulks(&["a"])
    );
    assert_eq!(node.run(&["LPOP", "l", "2"]), Reply::NilArray);
    assert_eq!(node.run(&["LPOP", "l", "0"]), Reply::NilArray);
    assert_eq!(
        node.records(),
        [vec!["RPOP", "l", "2"], vec!["LPOP", "l", "1"]]
    );
}

#[test]
fn pop_count_must_be_a_positive_integer_even_for_missing_keys() {
    let mut node = TestNode::new();
    let positive = err("value is out of range, must be positive");
    assert_eq!(node.run(&["LPOP", "l", "-1"]), positive);
    assert_eq!(node.run(&["RPOP", "l", "abc"]), positive);
}

#[test]
fn lrange_clamps_like_redis() {
    let mut node = node_with(&["a", "b", "c", "d"]);
    assert_eq!(node.run(&["LRANGE", "l", "1", "2"]), bulks(&["b", "c"]));
    assert_eq!(node.run(&["LRANGE", "l", "-2", "100"]), bulks(&["c", "d"]));
    assert_eq!(node.run(&["LRANGE", "l", "-100", "0"]), bulks(&["a"]));
    assert_eq!(node.run(&["LRANGE", "l", "3", "1"]), bulks(&[]));
    assert_eq!(node.run(&["LRANGE", "l", "5", "9"]), bulks(&[]));
    assert_eq!(node.run(&["LRANGE", "missing", "0", "-1"]), bulks(&[]));
    assert_eq!(
        node.run(&["LRANGE", "l", "x", "1"]),
        Reply::Error(CmdError::NotInteger)
    );
    let min = i64::MIN.to_string();
    let max = i64::MAX.to_string();
    assert_eq!(
        node.run(&["LRANGE", "l", &min, &max]),
        bulks(&["a", "b", "c", "d"])
    );
}

#[test]
fn clamp_range_handles_extremes() {
    assert_eq!(clamp_range(0, -1, 0), None);
    assert_eq!(clamp_range(i64::MIN, i64::MIN, 3), None);
    assert_eq!(clamp_range(-1, -1, 3), Some((2, 2)));
    assert_eq!(clamp_range(0, i64::MAX, 3), Some((0, 2)));
}

#[test]
fn llen_and_lindex() {
    let mut node = node_with(&["a", "b", "c"]);
    assert_eq!(node.run(&["LLEN", "l"]), Reply::Int(3));
    assert_eq!(node.run(&["LLEN", "missing"]), Reply::Int(0));
    assert_eq!(node.run(&["LINDEX", "l", "0"]), bulk("a"));
    assert_eq!(node.run(&["LINDEX", "l", "-1"]), bulk("c"));
    assert_eq!(node.run(&["LINDEX", "l", "3"]), Reply::Nil);
    assert_eq!(node.run(&["LINDEX", "l", "-4"]), Reply::Nil);
    assert_eq!(
        node.run(&["LINDEX", "l", "x"]),
        Reply::Error(CmdError::NotInteger)
    );
    // The key is looked up first, as in Redis.
    assert_eq!(node.run(&["LINDEX", "missing", "x"]), Reply::Nil);
}

#[test]
fn lset_replaces_and_reports_missing_keys_and_bad_indexes() {
    let mut node = node_with(&["a", "b"]);
    assert_eq!(node.run(&["LSET", "l", "-1", "z"]), Reply::Ok);
    assert_eq!(contents(&mut node), bulks(&["a", "z"]));
    assert_eq!(node.records(), [vec!["LSET", "l", "-1", "z"]]);
    assert_eq!(
        node.run(&["LSET", "l", "2", "z"]),
        Reply::Error(CmdError::OutOfRange)
    );
    assert_eq!(
        node.run(&["LSET", "l", "x", "z"]),
        Reply::Error(CmdError::NotInteger)
    );
    assert_eq!(
        node.run(&["LSET", "nokey", "x", "z"]),
        Reply::Error(CmdError::NoSuchKey)
    );
    assert!(node.records().is_empty());
}

#[test]
fn lrem_from_head_tail_and_all() {
    let mut node = node_with(&["a", "b", "a", "c", "a", "b", "a"]);
    assert_eq!(node.run(&["LREM", "l", "2", "a"]), Reply::Int(2));
    assert_eq!(contents(&mut node), bulks(&["b", "c", "a", "b", "a"]));
    assert_eq!(node.run(&["LREM", "l", "-1", "b"]), Reply::Int(1));
    assert_eq!(contents(&mut node), bulks(&["b", "c", "a", "a"]));
    assert_eq!(node.run(&["LREM", "l", "0", "a"]), Reply::Int(2));
    assert_eq!(node.run(&["LREM", "l", "5", "zz"]), Reply::Int(0));
    assert_eq!(node.run(&["LREM", "l", "-9", "b"]), Reply::Int(1));
    assert_eq!(contents(&mut node), bulks(&["c"]));
    assert_eq!(
        node.run(&["LREM", "l", &i64::MIN.to_string(), "c"]),
        Reply::Int(1)
    );
    assert!(!exists(&node, "l"));
    assert_eq!(node.run(&["LREM", "l", "0", "a"]), Reply::Int(0));
    assert_eq!(
        node.run(&["LREM", "l", "x", "a"]),
        Reply::Error(CmdError::NotInteger)
    );
    let records = node.records();
    assert_eq!(records.len(), 5);
    assert_eq!(records[0], ["LREM", "l", "2", "a"]);
}

#[test]
fn ltrim_keeps_the_range_and_deletes_emptied_lists() {
    let mut node = node_with(&["a", "b", "c", "d"]);
    assert_eq!(node.run(&["LTRIM", "l", "1", "-2"]), Reply::Ok);
    assert_eq!(contents(&mut node), bulks(&["b", "c"]));
    assert_eq!(node.run(&["LTRIM", "l", "0", "-1"]), Reply::Ok);
    assert_eq!(node.records(), [vec!["LTRIM", "l", "1", "-2"]]);
    assert_eq!(node.run(&["LTRIM", "l", "100", "200"]), Reply::Ok);
    assert!(!exists(&node, "l"));
    assert_eq!(node.run(&["LTRIM", "l", "0", "1"]), Reply::Ok);
    assert_eq!(
        node.run(&["LTRIM", "l", "x", "1"]),
        Reply::Error(CmdError::NotInteger)
    );
    assert_eq!(node.records(), [vec!["LTRIM", "l", "100", "200"]]);
}

#[test]
fn linsert_before_and_after_the_first_pivot() {
    let mut node = node_with(&["a", "b", "a"]);
    assert_eq!(
        node.run(&["LINSERT", "l", "before", "a", "x"]),
        Reply::Int(4)
    );
    assert_eq!(
        node.run(&["LINSERT", "l", "AFTER", "b", "y"]),
        Reply::Int(5)
    );
    assert_eq!(contents(&mut node), bulks(&["x", "a", "b", "y", "a"]));
    assert_eq!(
        node.run(&["LINSERT", "l", "AFTER", "zz", "y"]),
        Reply::Int(-1)
    );
    assert_eq!(
        node.run(&["LINSERT", "nokey", "AFTER", "a", "y"]),
        Reply::Int(0)
    );
    assert_eq!(
        node.run(&["LINSERT", "l", "middle", "a", "y"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["LINSERT", "nokey", "middle", "a", "y"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.records(),
        [
            vec!["LINSERT", "l", "before", "a", "x"],
            vec!["LINSERT", "l", "AFTER", "b", "y"]
        ]
    );
}

#[test]
fn lpos_finds_positions_with_rank_count_and_maxlen() {
    let mut node = node_with(&["a", "b", "c", "a", "b", "c", "a"]);
    assert_eq!(node.run(&["LPOS", "l", "a"]), Reply::Int(0));
    assert_eq!(node.run(&["LPOS", "l", "a", "RANK", "2"]), Reply::Int(3));
    assert_eq!(node.run(&["LPOS", "l", "a", "RANK", "-1"]), Reply::Int(6));
    assert_eq!(node.run(&["LPOS", "l", "a", "RANK", "4"]), Reply::Nil);
    assert_eq!(node.run(&["LPOS", "l", "z"]), Reply::Nil);
    assert_eq!(
        node.run(&["LPOS", "l", "a", "COUNT", "0"]),
        ints(&[0, 3, 6])
    );
    assert_eq!(
        node.run(&["LPOS", "l", "a", "COUNT", "2", "RANK", "-1"]),
        ints(&[6, 3])
    );
    assert_eq!(
        node.run(&["lpos", "l", "a", "count", "0", "maxlen", "4"]),
        ints(&[0, 3])
    );
    assert_eq!(node.run(&["LPOS", "l", "c", "MAXLEN", "2"]), Reply::Nil);
    assert_eq!(node.run(&["LPOS", "l", "z", "COUNT", "0"]), ints(&[]));
    assert_eq!(node.run(&["LPOS", "nokey", "a"]), Reply::Nil);
    assert_eq!(node.run(&["LPOS", "nokey", "a", "COUNT", "1"]), ints(&[]));
    let min = i64::MIN.to_string();
    assert_eq!(node.run(&["LPOS", "l", "a", "RANK", &min]), Reply::Nil);
}

#[test]
fn lpos_option_errors_come_before_the_key() {
    let mut node = TestNode::new();
    let rank_zero = err(
        "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use \
         negative to start from the end of the list",
    );
    assert_eq!(node.run(&["LPOS", "nokey", "a", "RANK", "0"]), rank_zero);
    assert_eq!(
        node.run(&["LPOS", "l", "a", "RANK", "1", "RANK", "0"]),
        rank_zero
    );
    assert_eq!(
        node.run(&["LPOS", "l", "a", "COUNT", "-1"]),
        err("COUNT can't be negative")
    );
    assert_eq!(
        node.run(&["LPOS", "l", "a", "MAXLEN", "-1"]),
        err("MAXLEN can't be negative")
    );
    assert_eq!(
        node.run(&["LPOS", "l", "a", "RANK", "x"]),
        Reply::Error(CmdError::NotInteger)
    );
    assert_eq!(
        node.run(&["LPOS", "l", "a", "RANK"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["LPOS", "l", "a", "FOO", "1"]),
        Reply::Error(CmdError::Syntax)
    );
}

#[test]
fn lmove_between_lists_and_records_lmove() {
    let mut node = node_with(&["a", "b", "c"]);
    assert_eq!(node.run(&["LMOVE", "l", "d", "left", "RIGHT"]), bulk("a"));
    assert_eq!(node.run(&["RPOPLPUSH", "l", "d"]), bulk("c"));
    assert_eq!(node.run(&["LRANGE", "d", "0", "-1"]), bulks(&["c", "a"]));
    assert_eq!(node.run(&["LMOVE", "l", "d", "RIGHT", "LEFT"]), bulk("b"));
    assert!(!exists(&node, "l"));
    assert_eq!(node.run(&["LMOVE", "l", "d", "LEFT", "LEFT"]), Reply::Nil);
    assert_eq!(
        node.records(),
        [
            vec!["LMOVE", "l", "d", "LEFT", "RIGHT"],
            vec!["LMOVE", "l", "d", "RIGHT", "LEFT"],
            vec!["LMOVE", "l", "d", "RIGHT", "LEFT"],
        ]
    );
}

#[test]
fn lmove_onto_itself_rotates() {
    let mut node = node_with(&["a", "b", "c"]);
    assert_eq!(node.run(&["LMOVE", "l", "l", "LEFT", "RIGHT"]), bulk("a"));
    assert_eq!(contents(&mut node), bulks(&["b", "c", "a"]));
    let mut node = node_with(&["a"]);
    assert_eq!(node.run(&["RPOPLPUSH", "l", "l"]), bulk("a"));
    assert_eq!(contents(&mut node), bulks(&["a"]));
}

#[test]
fn lmove_checks_the_destination_type_only_with_something_to_move() {
    let mut node = node_with(&["a"]);
    set_string(&mut node, "s");
    node.records();
    assert_eq!(node.run(&["LMOVE", "l", "s", "LEFT", "LEFT"]), WRONGTYPE);
    assert_eq!(contents(&mut node), bulks(&["a"]));
    assert_eq!(
        node.run(&["LMOVE", "nokey", "s", "LEFT", "LEFT"]),
        Reply::Nil
    );
    assert_eq!(
        node.run(&["LMOVE", "l", "d", "UP", "LEFT"]),
        Reply::Error(CmdError::Syntax)
    );
    assert!(node.records().is_empty());
}

#[test]
fn expired_lists_are_missing() {
    let mut node = node_with(&["a"]);
    let slot = node.engine.dbs[0].keys.find(b"l").unwrap();
    node.engine.dbs[0].keys.set_expiry(slot, node.now + 10);
    node.now += 20;
    node.records();
    assert_eq!(node.run(&["LLEN", "l"]), Reply::Int(0));
    assert_eq!(node.run(&["RPUSHX", "l", "b"]), Reply::Int(0));
    assert_eq!(node.records(), [vec!["DEL", "l"]]);
}
