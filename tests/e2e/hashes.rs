//! Hashes with a real client: https://redis.io/commands/?group=hash

use std::collections::{BTreeMap, HashSet};

use rg_testkit::Node;

use crate::support::{connect, err, q};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn hset_hget_hgetall_and_hdel() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(q::<i64>(&mut con, &["HSET", "h", "a", "10", "c", "3"]), 1);
    assert_eq!(q::<String>(&mut con, &["HGET", "h", "a"]), "10");
    assert_eq!(
        q::<Option<String>>(&mut con, &["HGET", "h", "missing"]),
        None
    );
    let all: BTreeMap<String, String> = q(&mut con, &["HGETALL", "h"]);
    let expected: BTreeMap<String, String> = [("a", "10"), ("b", "2"), ("c", "3")]
        .map(|(f, v)| (f.into(), v.into()))
        .into();
    assert_eq!(all, expected);
    let values: Vec<Option<String>> = q(&mut con, &["HMGET", "h", "b", "nope", "c"]);
    assert_eq!(values, [Some("2".into()), None, Some("3".into())]);
    assert_eq!(q::<i64>(&mut con, &["HLEN", "h"]), 3);
    assert_eq!(q::<i64>(&mut con, &["HEXISTS", "h", "b"]), 1);
    assert_eq!(q::<i64>(&mut con, &["HDEL", "h", "a", "b", "nope"]), 2);
    assert_eq!(q::<i64>(&mut con, &["HSTRLEN", "h", "c"]), 1);
    // Deleting the last field deletes the key.
    assert_eq!(q::<i64>(&mut con, &["HDEL", "h", "c"]), 1);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "h"]), 0);
}

#[test]
fn hkeys_hvals_hsetnx_and_hrandfield() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let keys: HashSet<String> = q(&mut con, &["HKEYS", "h"]);
    assert_eq!(keys, ["a", "b", "c"].map(String::from).into());
    let vals: HashSet<String> = q(&mut con, &["HVALS", "h"]);
    assert_eq!(vals, ["1", "2", "3"].map(String::from).into());
    assert_eq!(q::<i64>(&mut con, &["HSETNX", "h", "a", "x"]), 0);
    assert_eq!(q::<i64>(&mut con, &["HSETNX", "h", "d", "4"]), 1);
    let field: String = q(&mut con, &["HRANDFIELD", "h"]);
    assert!(
        ["a", "b", "c", "d"].contains(&field.as_str()),
        "HRANDFIELD gave {field}"
    );
    let fields: Vec<String> = q(&mut con, &["HRANDFIELD", "h", "10"]);
    assert_eq!(fields.iter().collect::<HashSet<_>>().len(), 4);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["HRANDFIELD", "h", "-6"]).len(),
        6
    );
}

#[test]
fn hincrby_and_hincrbyfloat() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["HINCRBY", "h", "n", "5"]), 5);
    assert_eq!(q::<i64>(&mut con, &["HINCRBY", "h", "n", "-7"]), -2);
    assert_eq!(
        q::<String>(&mut con, &["HINCRBYFLOAT", "h", "n", "1.5"]),
        "-0.5"
    );
    let _: () = q(&mut con, &["HSET", "h", "s", "abc"]);
    assert_eq!(
        err(&mut con, &["HINCRBY", "h", "s", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(
        err(&mut con, &["HINCRBY", "h", "n", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut con, &["HINCRBYFLOAT", "h", "s", "1"]),
        "ERR hash value is not a float"
    );
}

#[test]
fn hash_commands_refuse_other_types_and_bad_arity() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "str", "v"]);
    for args in [
        &["HSET", "str", "f", "v"][..],
        &["HGET", "str", "f"],
        &["HGETALL", "str"],
        &["HLEN", "str"],
    ] {
        assert_eq!(err(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(
        err(&mut con, &["HGET", "h"]),
        "ERR wrong number of arguments for 'hget' command"
    );
    assert_eq!(
        err(&mut con, &["HSET", "h", "f"]),
        "ERR wrong number of arguments for 'hset' command"
    );
    assert_eq!(
        err(&mut con, &["HSET", "h", "f", "v", "g"]),
        "ERR wrong number of arguments for 'hset' command"
    );
    assert_eq!(q::<i64>(&mut con, &["HLEN", "missing"]), 0);
    assert!(q::<Vec<String>>(&mut con, &["HGETALL", "missing"]).is_empty());
}
