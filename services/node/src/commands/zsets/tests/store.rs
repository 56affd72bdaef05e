use super::*;
use crate::engine::keyspace::PERSISTENT;

fn with_inputs() -> TestNode {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    put_set(&mut n, "s", &["a", "d"]);
    n.records();
    n
}

#[test]
fn zrangestore_stores_a_range() {
    let mut n = with_inputs();
    assert_eq!(
        n.run(&["ZRANGESTORE", "dst", "z", "1", "2", "BYSCORE"]),
        Reply::Int(2)
    );
    assert_eq!(
        n.run(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
        scored(&[("a", 1.0), ("b", 2.0)])
    );
    assert_eq!(
        n.records(),
        vec![
            record(&["DEL", "dst"]),
            record(&["ZADD", "dst", "1", "a", "2", "b"])
        ]
    );
    assert_eq!(
        n.run(&["ZRANGESTORE", "dst", "z", "0", "0", "REV"]),
        Reply::Int(1)
    );
    assert_eq!(n.run(&["ZRANGE", "dst", "0", "-1"]), bulks(&["c"]));
    assert_eq!(
        n.run(&[
            "ZRANGESTORE",
            "dst",
            "z",
            "+inf",
            "-inf",
            "BYSCORE",
            "REV",
            "LIMIT",
            "1",
            "1"
        ]),
        Reply::Int(1)
    );
    assert_eq!(n.run(&["ZRANGE", "dst", "0", "-1"]), bulks(&["b"]));
    n.records();
    // An empty result deletes the destination; a missing one stays missing, unrecorded.
    assert_eq!(
        n.run(&["ZRANGESTORE", "dst", "missing", "0", "-1"]),
        Reply::Int(0)
    );
    assert!(!exists(&n, "dst"));
    assert_eq!(n.records(), vec![record(&["DEL", "dst"])]);
    assert_eq!(n.run(&["ZRANGESTORE", "dst", "z", "5", "9"]), Reply::Int(0));
    assert!(n.records().is_empty());
}

#[test]
fn zrangestore_errors() {
    let mut n = with_inputs();
    put_string(&mut n, "str");
    assert_eq!(
        error(n.run(&["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"])),
        "ERR syntax error"
    );
    assert_eq!(
        error(n.run(&["ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"])),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(
        error(n.run(&["ZRANGESTORE", "dst", "str", "0", "1"])),
        WRONGTYPE
    );
    // A destination of another type is replaced.
    assert_eq!(n.run(&["ZRANGESTORE", "str", "z", "0", "0"]), Reply::Int(1));
    assert_eq!(n.run(&["ZRANGE", "str", "0", "-1"]), bulks(&["a"]));
}

#[test]
fn stores_replace_the_destination_and_its_expiry() {
    let mut n = with_inputs();
    n.run(&["ZADD", "dst", "9", "old"]);
    let keys = &mut n.engine.dbs[0].keys;
    let slot = keys.find(b"dst").expect("dst exists");
    keys.set_expiry(slot, n.now + 60_000);
    assert_eq!(n.run(&["ZUNIONSTORE", "dst", "1", "z"]), Reply::Int(3));
    assert_eq!(
        n.run(&["ZRANGE", "dst", "0", "-1"]),
        bulks(&["a", "b", "c"])
    );
    let entry = n.engine.dbs[0].keys.get(b"dst").expect("dst exists");
    assert_eq!(entry.expires_at, PERSISTENT);
}

#[test]
fn zunionstore_adds_weighted_scores_of_sets_and_sorted_sets() {
    let mut n = with_inputs();
    assert_eq!(n.run(&["ZUNIONSTORE", "u", "2", "z", "s"]), Reply::Int(4));
    assert_eq!(
        n.run(&["ZRANGE", "u", "0", "-1", "WITHSCORES"]),
        scored(&[("d", 1.0), ("a", 2.0), ("b", 2.0), ("c", 3.0)])
    );
    assert_eq!(
        n.records(),
        vec![
            record(&["DEL", "u"]),
            record(&["ZADD", "u", "1", "d", "2", "a", "2", "b", "3", "c"])
        ]
    );
    assert_eq!(
        n.run(&[
            "ZUNIONSTORE",
            "u",
            "3",
            "z",
            "s",
            "missing",
            "WEIGHTS",
            "2",
            "10",
            "5",
            "AGGREGATE",
            "MIN"
        ]),
        Reply::Int(4)
    );
    assert_eq!(
        n.run(&["ZRANGE", "u", "0", "-1", "WITHSCORES"]),
        scored(&[("a", 2.0), ("b", 4.0), ("c", 6.0), ("d", 10.0)])
    );
    n.run(&[
        "ZUNIONSTORE",
        "u",
        "2",
        "z",
        "s",
        "AGGREGATE",
        "max",
        "WEIGHTS",
        "1",
        "2.5",
    ]);
    assert_eq!(n.run(&["ZSCORE", "u", "a"]), d(2.5));
}

#[test]
fn infinities_follow_redis() {
    let mut n = with_inputs();
    n.run(&["ZADD", "one", "1", "a"]);
    n.run(&["ZADD", "inf", "inf", "a"]);
    // inf + -inf sums to 0; 0 * inf weighs 0.
    n.run(&[
        "ZUNIONSTORE",
        "u",
        "2",
        "z",
        "one",
        "WEIGHTS",
        "inf",
        "-inf",
    ]);
    assert_eq!(
        n.run(&["ZRANGE", "u", "0", "-1", "WITHSCORES"]),
        scored(&[("a", 0.0), ("b", f64::INFINITY), ("c", f64::INFINITY)])
    );
    n.run(&["ZUNIONSTORE", "u", "1", "inf", "WEIGHTS", "0"]);
    assert_eq!(n.run(&["ZSCORE", "u", "a"]), d(0.0));
}

#[test]
fn zinterstore_keeps_members_of_every_input() {
    let mut n = with_inputs();
    assert_eq!(
        n.run(&[
            "ZINTERSTORE",
            "i",
            "2",
            "z",
            "s",
            "WEIGHTS",
            "2",
            "3",
            "AGGREGATE",
            "MAX"
        ]),
        Reply::Int(1)
    );
    assert_eq!(
        n.run(&["ZRANGE", "i", "0", "-1", "WITHSCORES"]),
        scored(&[("a", 3.0)])
    );
    assert_eq!(n.run(&["ZINTERSTORE", "i", "2", "z", "z"]), Reply::Int(3));
    assert_eq!(n.run(&["ZSCORE", "i", "c"]), d(6.0));
    n.records();
    assert_eq!(
        n.run(&["ZINTERSTORE", "i", "2", "z", "missing"]),
        Reply::Int(0)
    );
    assert!(!exists(&n, "i"));
    assert_eq!(n.records(), vec![record(&["DEL", "i"])]);
    assert_eq!(n.run(&["ZINTERSTORE", "i", "1", "missing"]), Reply::Int(0));
    assert!(n.records().is_empty());
}

#[test]
fn combine_errors_match_redis() {
    let mut n = with_inputs();
    put_string(&mut n, "str");
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZUNIONSTORE", "u", "0", "z"],
            "ERR at least 1 input key is needed for 'zunionstore' command",
        ),
        (
            &["ZINTERSTORE", "u", "-1", "z"],
            "ERR at least 1 input key is needed for 'zinterstore' command",
        ),
        (
            &["ZUNIONSTORE", "u", "x", "z"],
            "ERR value is not an integer or out of range",
        ),
        (&["ZUNIONSTORE", "u", "3", "z", "s"], "ERR syntax error"),
        (
            &["ZUNIONSTORE", "u", "9223372036854775807", "z"],
            "ERR syntax error",
        ),
        (
            &["ZUNIONSTORE", "u", "1", "z", "WEIGHTS", "1", "2"],
            "ERR syntax error",
        ),
        (
            &["ZUNIONSTORE", "u", "2", "z", "s", "WEIGHTS", "1"],
            "ERR syntax error",
        ),
        (
            &["ZUNIONSTORE", "u", "1", "z", "WEIGHTS", "x"],
            "ERR weight value is not a float",
        ),
        (
            &["ZUNIONSTORE", "u", "1", "z", "AGGREGATE", "avg"],
            "ERR syntax error",
        ),
        (
            &["ZUNIONSTORE", "u", "1", "z", "AGGREGATE"],
            "ERR syntax error",
        ),
        (
            &["ZUNIONSTORE", "u", "1", "z", "WITHSCORES"],
            "ERR syntax error",
        ),
        (&["ZUNIONSTORE", "u", "2", "z", "str"], WRONGTYPE),
        // Types are checked before the options are read, as in Redis.
        (
            &["ZINTERSTORE", "u", "2", "str", "z", "AGGREGATE", "avg"],
            WRONGTYPE,
        ),
    ];
    for (command, expected) in cases {
        assert_eq!(error(n.run(command)), *expected, "{command:?}");
    }
    assert!(!exists(&n, "u"));
    assert!(n.records().is_empty());
}
