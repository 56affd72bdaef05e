//! Sets with a real client: https://redis.io/commands/?group=set

use std::collections::HashSet;

use rg_testkit::Node;

use crate::support::{connect, err, q};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn set_of(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn sadd_srem_smembers_and_membership() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["SADD", "s", "a", "b", "c", "a"]), 3);
    assert_eq!(q::<i64>(&mut con, &["SADD", "s", "a", "d"]), 1);
    assert_eq!(
        q::<HashSet<String>>(&mut con, &["SMEMBERS", "s"]),
        set_of(&["a", "b", "c", "d"])
    );
    assert_eq!(q::<i64>(&mut con, &["SCARD", "s"]), 4);
    assert_eq!(q::<i64>(&mut con, &["SISMEMBER", "s", "b"]), 1);
    assert_eq!(q::<i64>(&mut con, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(
        q::<Vec<i64>>(&mut con, &["SMISMEMBER", "s", "a", "z"]),
        [1, 0]
    );
    assert_eq!(q::<i64>(&mut con, &["SREM", "s", "a", "z"]), 1);
    assert_eq!(q::<i64>(&mut con, &["SREM", "s", "b", "c", "d"]), 3);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "s"]), 0);
}

#[test]
fn set_algebra_and_store_variants() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SADD", "a", "1", "2", "3", "4"]);
    let _: () = q(&mut con, &["SADD", "b", "3", "4", "5"]);
    assert_eq!(
        q::<HashSet<String>>(&mut con, &["SINTER", "a", "b"]),
        set_of(&["3", "4"])
    );
    assert_eq!(
        q::<HashSet<String>>(&mut con, &["SUNION", "a", "b"]),
        set_of(&["1", "2", "3", "4", "5"])
    );
    assert_eq!(
        q::<HashSet<String>>(&mut con, &["SDIFF", "a", "b"]),
        set_of(&["1", "2"])
    );
    assert!(q::<Vec<String>>(&mut con, &["SINTER", "a", "missing"]).is_empty());
    assert_eq!(q::<i64>(&mut con, &["SINTERSTORE", "c", "a", "b"]), 2);
    assert_eq!(
        q::<HashSet<String>>(&mut con, &["SMEMBERS", "c"]),
        set_of(&["3", "4"])
    );
    assert_eq!(q::<i64>(&mut con, &["SUNIONSTORE", "c", "a", "b"]), 5);
    assert_eq!(q::<i64>(&mut con, &["SDIFFSTORE", "c", "b", "a"]), 1);
    assert_eq!(
        q::<HashSet<String>>(&mut con, &["SMEMBERS", "c"]),
        set_of(&["5"])
    );
    assert_eq!(q::<i64>(&mut con, &["SINTERCARD", "2", "a", "b"]), 2);
    assert_eq!(
        q::<i64>(&mut con, &["SINTERCARD", "2", "a", "b", "LIMIT", "1"]),
        1
    );
    assert_eq!(
        err(&mut con, &["SINTERCARD", "0", "a"]),
        "ERR numkeys should be greater than 0"
    );
}

#[test]
fn spop_srandmember_and_smove() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SADD", "s", "a", "b", "c", "d"]);
    let member: String = q(&mut con, &["SRANDMEMBER", "s"]);
    assert!(set_of(&["a", "b", "c", "d"]).contains(&member));
    let distinct: Vec<String> = q(&mut con, &["SRANDMEMBER", "s", "10"]);
    assert_eq!(
        distinct.into_iter().collect::<HashSet<_>>(),
        set_of(&["a", "b", "c", "d"])
    );
    // A negative count may repeat members and returns exactly that many.
    assert_eq!(
        q::<Vec<String>>(&mut con, &["SRANDMEMBER", "s", "-7"]).len(),
        7
    );
    let popped: Vec<String> = q(&mut con, &["SPOP", "s", "3"]);
    assert_eq!(popped.iter().collect::<HashSet<_>>().len(), 3);
    assert_eq!(q::<i64>(&mut con, &["SCARD", "s"]), 1);
    let last: String = q::<Vec<String>>(&mut con, &["SMEMBERS", "s"]).remove(0);
    assert_eq!(q::<i64>(&mut con, &["SMOVE", "s", "t", &last]), 1);
    assert_eq!(q::<i64>(&mut con, &["SMOVE", "s", "t", &last]), 0);
    assert_eq!(
        q::<HashSet<String>>(&mut con, &["SMEMBERS", "t"]),
        set_of(&[&last])
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "s"]), 0);
}

#[test]
fn set_commands_refuse_other_types_and_bad_arity() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "str", "v"]);
    let _: () = q(&mut con, &["SADD", "s", "a"]);
    for args in [
        &["SADD", "str", "a"][..],
        &["SMEMBERS", "str"],
        &["SCARD", "str"],
        &["SINTER", "s", "str"],
    ] {
        assert_eq!(err(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(
        err(&mut con, &["SADD", "s"]),
        "ERR wrong number of arguments for 'sadd' command"
    );
    assert_eq!(
        err(&mut con, &["SMOVE", "s", "t"]),
        "ERR wrong number of arguments for 'smove' command"
    );
    assert_eq!(
        err(&mut con, &["SPOP", "s", "-1"]),
        "ERR value is out of range, must be positive"
    );
}
