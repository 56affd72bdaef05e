//! ZUNION, ZINTER, ZDIFF, ZDIFFSTORE, ZINTERCARD and ZRANDMEMBER.

use super::*;

fn with_inputs() -> TestNode {
    let mut n = node();
    n.run(&["ZADD", "z1", "1", "a", "2", "b", "3", "c"]);
    n.run(&["ZADD", "z2", "10", "b", "20", "c", "30", "d"]);
    put_set(&mut n, "s", &["a", "d", "e"]);
    put_string(&mut n, "str");
    n.records();
    n
}

#[test]
fn union_inter_and_diff_answer_like_zrange() {
    let mut n = with_inputs();
    assert_eq!(
        n.run(&["ZUNION", "2", "z1", "z2", "WITHSCORES"]),
        scored(&[("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)])
    );
    assert_eq!(
        n.run(&[
            "ZINTER",
            "2",
            "z1",
            "z2",
            "WEIGHTS",
            "1",
            "2",
            "AGGREGATE",
            "MAX",
            "WITHSCORES"
        ]),
        scored(&[("b", 20.0), ("c", 40.0)])
    );
    assert_eq!(
        n.run(&["ZINTER", "2", "z1", "s", "WITHSCORES"]),
        scored(&[("a", 2.0)])
    );
    assert_eq!(n.run(&["ZDIFF", "2", "z1", "z2"]), bulks(&["a"]));
    assert_eq!(n.run(&["ZDIFF", "2", "z1", "z1"]), bulks(&[]));
    resp3(&mut n);
    assert_eq!(
        n.run(&["ZDIFF", "2", "z2", "s", "WITHSCORES"]),
        scored3(&[("b", 10.0), ("c", 20.0)])
    );
    assert!(n.records().is_empty());
}

#[test]
fn their_errors_follow_redis() {
    let mut n = with_inputs();
    let cases: [(&[&str], &str); 8] = [
        (
            &["ZUNION", "0", "z1"],
            "ERR at least 1 input key is needed for 'zunion' command",
        ),
        (
            &["ZDIFFSTORE", "d", "0", "z1"],
            "ERR at least 1 input key is needed for 'zdiffstore' command",
        ),
        (
            &["ZUNION", "x", "z1"],
            "ERR value is not an integer or out of range",
        ),
        (&["ZUNION", "3", "z1", "z2"], "ERR syntax error"),
        (&["ZUNION", "2", "z1", "str"], WRONGTYPE),
        (
            &["ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "1"],
            "ERR syntax error",
        ),
        (
            &["ZUNIONSTORE", "d", "1", "z1", "WITHSCORES"],
            "ERR syntax error",
        ),
        (
            &["ZINTERCARD", "1", "z1", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(error(n.run(args)), expected, "{args:?}");
    }
}

#[test]
fn zdiffstore_stores_or_deletes_and_records_absolute_scores() {
    let mut n = with_inputs();
    assert_eq!(n.run(&["ZDIFFSTORE", "d", "2", "z1", "s"]), Reply::Int(2));
    assert_eq!(
        n.run(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        scored(&[("b", 2.0), ("c", 3.0)])
    );
    assert_eq!(
        n.records(),
        [
            record(&["DEL", "d"]),
            record(&["ZADD", "d", "2", "b", "3", "c"])
        ]
    );
    assert_eq!(n.run(&["ZDIFFSTORE", "d", "2", "z1", "z1"]), Reply::Int(0));
    assert!(!exists(&n, "d"));
    assert_eq!(n.records(), [record(&["DEL", "d"])]);
}

#[test]
fn zintercard_counts_up_to_its_limit() {
    let mut n = with_inputs();
    assert_eq!(n.run(&["ZINTERCARD", "2", "z1", "z2"]), Reply::Int(2));
    assert_eq!(
        n.run(&["ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"]),
        Reply::Int(1)
    );
    assert_eq!(
        n.run(&["ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"]),
        Reply::Int(2)
    );
    assert_eq!(n.run(&["ZINTERCARD", "2", "z1", "none"]), Reply::Int(0));
}

#[test]
fn zrandmember_counts_and_scores() {
    let mut n = with_inputs();
    let one = n.run(&["ZRANDMEMBER", "z1"]);
    assert!([bulk("a"), bulk("b"), bulk("c")].contains(&one));
    // As many as there are or more: the whole set, highest score first.
    assert_eq!(
        n.run(&["ZRANDMEMBER", "z1", "5", "WITHSCORES"]),
        scored(&[("c", 3.0), ("b", 2.0), ("a", 1.0)])
    );
    let Reply::Array(repeated) = n.run(&["ZRANDMEMBER", "z1", "-7"]) else {
        panic!("not an array");
    };
    assert_eq!(repeated.len(), 7);
    let Reply::Array(distinct) = n.run(&["ZRANDMEMBER", "z1", "2"]) else {
        panic!("not an array");
    };
    assert_eq!(distinct.len(), 2);
    assert_ne!(distinct[0], distinct[1]);
    assert_eq!(n.run(&["ZRANDMEMBER", "none"]), Reply::Nil);
    assert_eq!(n.run(&["ZRANDMEMBER", "none", "3"]), bulks(&[]));
    assert_eq!(error(n.run(&["ZRANDMEMBER", "str", "0"])), WRONGTYPE);
    assert_eq!(
        error(n.run(&["ZRANDMEMBER", "z1", "1", "WITHSCORES", "x"])),
        "ERR syntax error"
    );
    assert_eq!(
        error(n.run(&["ZRANDMEMBER", "z1", "9223372036854775807", "WITHSCORES"])),
        "ERR value is out of range"
    );
    assert!(n.records().is_empty());
}
