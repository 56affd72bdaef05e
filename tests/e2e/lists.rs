//! Lists with a real client: https://redis.io/commands/?group=list
//! (the blocking commands are in `blocking.rs`).

use rg_testkit::Node;

use crate::support::{connect, err, q};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn push_pop_and_range() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["RPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(q::<i64>(&mut con, &["LPUSH", "l", "y", "z"]), 5);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "l", "0", "-1"]),
        ["z", "y", "a", "b", "c"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "l", "-2", "100"]),
        ["b", "c"]
    );
    assert_eq!(q::<String>(&mut con, &["LPOP", "l"]), "z");
    assert_eq!(q::<String>(&mut con, &["RPOP", "l"]), "c");
    assert_eq!(q::<Vec<String>>(&mut con, &["LPOP", "l", "2"]), ["y", "a"]);
    assert_eq!(q::<i64>(&mut con, &["LLEN", "l"]), 1);
    assert_eq!(q::<String>(&mut con, &["RPOP", "l"]), "b");
    // The last pop deletes the key.
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "l"]), 0);
    assert_eq!(q::<Option<String>>(&mut con, &["LPOP", "l"]), None);
    assert_eq!(q::<i64>(&mut con, &["LPUSHX", "l", "a"]), 0);
    assert_eq!(q::<i64>(&mut con, &["RPUSHX", "l", "a"]), 0);
    assert_eq!(
        err(&mut con, &["LPOP", "l", "-1"]),
        "ERR value is out of range, must be positive"
    );
}

#[test]
fn lindex_lset_linsert_lrem_ltrim() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["RPUSH", "l", "a", "b", "c", "a", "b", "a"]);
    assert_eq!(q::<String>(&mut con, &["LINDEX", "l", "-1"]), "a");
    assert_eq!(q::<Option<String>>(&mut con, &["LINDEX", "l", "10"]), None);
    assert_eq!(q::<i64>(&mut con, &["LREM", "l", "2", "a"]), 2);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "l", "0", "-1"]),
        ["b", "c", "b", "a"]
    );
    assert_eq!(q::<i64>(&mut con, &["LREM", "l", "-1", "a"]), 1);
    assert_eq!(q::<i64>(&mut con, &["LINSERT", "l", "BEFORE", "c", "x"]), 4);
    assert_eq!(
        q::<i64>(&mut con, &["LINSERT", "l", "AFTER", "nope", "y"]),
        -1
    );
    assert_eq!(
        err(&mut con, &["LINSERT", "l", "MIDDLE", "c", "x"]),
        "ERR syntax error"
    );
    let _: () = q(&mut con, &["LSET", "l", "0", "first"]);
    assert_eq!(
        err(&mut con, &["LSET", "l", "10", "x"]),
        "ERR index out of range"
    );
    assert_eq!(
        err(&mut con, &["LSET", "missing", "0", "x"]),
        "ERR no such key"
    );
    let _: () = q(&mut con, &["LTRIM", "l", "1", "-1"]);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "l", "0", "-1"]),
        ["x", "c", "b"]
    );
}

#[test]
fn lpos_finds_positions() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["RPUSH", "l", "b", "x", "c", "b"]);
    assert_eq!(q::<i64>(&mut con, &["LPOS", "l", "b"]), 0);
    assert_eq!(q::<i64>(&mut con, &["LPOS", "l", "b", "RANK", "-1"]), 3);
    assert_eq!(
        q::<Vec<i64>>(&mut con, &["LPOS", "l", "b", "COUNT", "0"]),
        [0, 3]
    );
    assert_eq!(q::<Option<i64>>(&mut con, &["LPOS", "l", "nope"]), None);
    assert_eq!(
        err(&mut con, &["LPOS", "l", "b", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or \
         use negative to start from the end of the list"
    );
}

#[test]
fn lmove_and_rpoplpush_move_between_lists() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["RPUSH", "src", "a", "b", "c"]);
    assert_eq!(
        q::<String>(&mut con, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
        "a"
    );
    assert_eq!(q::<String>(&mut con, &["RPOPLPUSH", "src", "dst"]), "c");
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "dst", "0", "-1"]),
        ["c", "a"]
    );
    // A list can rotate onto itself.
    assert_eq!(
        q::<String>(&mut con, &["LMOVE", "dst", "dst", "LEFT", "RIGHT"]),
        "c"
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "dst", "0", "-1"]),
        ["a", "c"]
    );
    assert_eq!(
        q::<Option<String>>(&mut con, &["LMOVE", "missing", "dst", "LEFT", "LEFT"]),
        None
    );
    assert_eq!(
        err(&mut con, &["LMOVE", "src", "dst", "UP", "LEFT"]),
        "ERR syntax error"
    );
}

#[test]
fn list_commands_refuse_other_types_and_bad_arity() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "str", "v"]);
    for args in [
        &["LPUSH", "str", "a"][..],
        &["LRANGE", "str", "0", "-1"],
        &["LLEN", "str"],
        &["RPOP", "str"],
    ] {
        assert_eq!(err(&mut con, args), WRONGTYPE, "{args:?}");
    }
    let _: () = q(&mut con, &["RPUSH", "l", "a"]);
    assert_eq!(
        err(&mut con, &["LMOVE", "l", "str", "LEFT", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["LRANGE", "l", "0", "-1"]),
        ["a"]
    );
    assert_eq!(
        err(&mut con, &["LPUSH", "l"]),
        "ERR wrong number of arguments for 'lpush' command"
    );
    assert_eq!(
        err(&mut con, &["LRANGE", "l", "0"]),
        "ERR wrong number of arguments for 'lrange' command"
    );
}
