//! Sorted sets with a real client: https://redis.io/commands/?group=sorted-set

use rg_testkit::Node;

use crate::support::{connect, err, q};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn zadd_options_and_zrange_withscores() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(
        q::<i64>(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
        3
    );
    // XX only updates; CH counts changed members as well as added ones.
    assert_eq!(
        q::<i64>(&mut con, &["ZADD", "z", "XX", "5", "d", "10", "a"]),
        0
    );
    assert_eq!(
        q::<i64>(&mut con, &["ZADD", "z", "CH", "20", "a", "1", "e"]),
        2
    );
    let ranked: Vec<(String, f64)> = q(&mut con, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
    let expected = [("e", 1.0), ("b", 2.0), ("c", 3.0), ("a", 20.0)];
    assert_eq!(ranked, expected.map(|(m, s)| (m.to_string(), s)));
    // GT never lowers a score, LT never raises one.
    let _: () = q(&mut con, &["ZADD", "z", "GT", "1", "a"]);
    assert_eq!(q::<f64>(&mut con, &["ZSCORE", "z", "a"]), 20.0);
    let _: () = q(&mut con, &["ZADD", "z", "LT", "1", "a"]);
    assert_eq!(q::<f64>(&mut con, &["ZSCORE", "z", "a"]), 1.0);
    assert_eq!(
        err(&mut con, &["ZADD", "z", "NX", "XX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut con, &["ZADD", "z", "GT", "LT", "1", "a"]),
        "ERR GT, LT, and/or NX options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut con, &["ZADD", "z", "x", "a"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut con, &["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
}

#[test]
fn scores_ranks_counts_and_ranges() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(
        &mut con,
        &["ZADD", "z", "1", "e", "2", "b", "3", "c", "20", "a"],
    );
    assert_eq!(q::<String>(&mut con, &["ZINCRBY", "z", "1.5", "b"]), "3.5");
    assert_eq!(q::<i64>(&mut con, &["ZRANK", "z", "b"]), 2);
    assert_eq!(q::<i64>(&mut con, &["ZREVRANK", "z", "b"]), 1);
    assert_eq!(q::<Option<i64>>(&mut con, &["ZRANK", "z", "nope"]), None);
    assert_eq!(q::<i64>(&mut con, &["ZCOUNT", "z", "(1", "20"]), 3);
    assert_eq!(q::<i64>(&mut con, &["ZCOUNT", "z", "-inf", "+inf"]), 4);
    assert_eq!(
        q::<Vec<String>>(
            &mut con,
            &["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "0", "2"]
        ),
        ["e", "c"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["ZREVRANGE", "z", "0", "1"]),
        ["a", "b"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["ZRANGE", "z", "(3", "+inf", "BYSCORE"]),
        ["b", "a"]
    );
    assert_eq!(
        q::<Vec<Option<f64>>>(&mut con, &["ZMSCORE", "z", "c", "nope"]),
        [Some(3.0), None]
    );
    assert_eq!(
        err(&mut con, &["ZRANGEBYSCORE", "z", "x", "1"]),
        "ERR min or max is not a float"
    );
    assert_eq!(q::<String>(&mut con, &["ZINCRBY", "z", "inf", "c"]), "inf");
    assert_eq!(
        err(&mut con, &["ZINCRBY", "z", "-inf", "c"]),
        "ERR resulting score is not a number (NaN)"
    );
}

#[test]
fn lex_ranges_on_equal_scores() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(
        &mut con,
        &["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"],
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["ZRANGEBYLEX", "z", "[b", "(d"]),
        ["b", "c"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut con, &["ZREVRANGEBYLEX", "z", "+", "[c"]),
        ["d", "c"]
    );
    assert_eq!(q::<i64>(&mut con, &["ZLEXCOUNT", "z", "-", "+"]), 4);
    assert_eq!(q::<i64>(&mut con, &["ZREMRANGEBYLEX", "z", "[a", "[b"]), 2);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["ZRANGE", "z", "0", "-1"]),
        ["c", "d"]
    );
    assert_eq!(
        err(&mut con, &["ZRANGEBYLEX", "z", "b", "d"]),
        "ERR min or max not valid string range item"
    );
}

#[test]
fn pops_removals_and_unionstore() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(
        &mut con,
        &["ZADD", "z", "1", "a", "1", "e", "3", "c", "3.5", "b"],
    );
    assert_eq!(
        q::<(String, f64)>(&mut con, &["ZPOPMIN", "z"]),
        ("a".to_string(), 1.0)
    );
    let top: Vec<(String, f64)> = q(&mut con, &["ZPOPMAX", "z", "2"]);
    assert_eq!(top, [("b".to_string(), 3.5), ("c".to_string(), 3.0)]);
    assert_eq!(q::<i64>(&mut con, &["ZCARD", "z"]), 1);
    let _: () = q(&mut con, &["ZADD", "z2", "1", "x", "4", "e"]);
    assert_eq!(
        q::<i64>(
            &mut con,
            &["ZUNIONSTORE", "out", "2", "z", "z2", "WEIGHTS", "2", "3"]
        ),
        2
    );
    let out: Vec<(String, f64)> = q(&mut con, &["ZRANGE", "out", "0", "-1", "WITHSCORES"]);
    assert_eq!(out, [("x".to_string(), 3.0), ("e".to_string(), 14.0)]);
    assert_eq!(
        q::<i64>(&mut con, &["ZINTERSTORE", "both", "2", "z", "z2"]),
        1
    );
    assert_eq!(q::<f64>(&mut con, &["ZSCORE", "both", "e"]), 5.0);
    assert_eq!(q::<i64>(&mut con, &["ZREM", "out", "x", "nope"]), 1);
    assert_eq!(
        q::<i64>(&mut con, &["ZREMRANGEBYSCORE", "out", "-inf", "+inf"]),
        1
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "out"]), 0);
}

#[test]
fn zset_commands_refuse_other_types_and_bad_arity() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "str", "v"]);
    for args in [
        &["ZADD", "str", "1", "a"][..],
        &["ZSCORE", "str", "a"],
        &["ZRANGE", "str", "0", "-1"],
        &["ZCARD", "str"],
    ] {
        assert_eq!(err(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(
        err(&mut con, &["ZADD", "z"]),
        "ERR wrong number of arguments for 'zadd' command"
    );
    assert_eq!(
        err(&mut con, &["ZSCORE", "z"]),
        "ERR wrong number of arguments for 'zscore' command"
    );
    assert_eq!(
        err(&mut con, &["ZADD", "z", "1", "a", "2"]),
        "ERR syntax error"
    );
}
