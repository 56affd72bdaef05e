use super::*;

fn abcd() -> TestNode {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    n.records();
    n
}

#[test]
fn zrange_by_rank() {
    let mut n = abcd();
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "-1"]),
        bulks(&["a", "b", "c", "d"])
    );
    assert_eq!(n.run(&["ZRANGE", "z", "1", "2"]), bulks(&["b", "c"]));
    assert_eq!(n.run(&["ZRANGE", "z", "-2", "100"]), bulks(&["c", "d"]));
    assert_eq!(n.run(&["ZRANGE", "z", "-100", "0"]), bulks(&["a"]));
    assert_eq!(n.run(&["ZRANGE", "z", "3", "1"]), bulks(&[]));
    assert_eq!(n.run(&["ZRANGE", "z", "4", "10"]), bulks(&[]));
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "-1", "REV"]),
        bulks(&["d", "c", "b", "a"])
    );
    assert_eq!(n.run(&["ZREVRANGE", "z", "1", "2"]), bulks(&["c", "b"]));
    assert_eq!(n.run(&["ZREVRANGE", "z", "-1", "-1"]), bulks(&["a"]));
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "1", "WITHSCORES"]),
        scored(&[("a", 1.0), ("b", 2.0)])
    );
    assert_eq!(
        n.run(&["ZREVRANGE", "z", "0", "0", "withscores"]),
        scored(&[("d", 4.0)])
    );
    // LIMIT with count -1 is "no LIMIT" to Redis, so ranks accept it and ignore the offset.
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "-1", "LIMIT", "5", "-1"]),
        bulks(&["a", "b", "c", "d"])
    );
    assert_eq!(n.run(&["ZRANGE", "missing", "0", "-1"]), bulks(&[]));
}

#[test]
fn withscores_in_resp3_are_pairs() {
    let mut n = abcd();
    resp3(&mut n);
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "1", "WITHSCORES"]),
        scored3(&[("a", 1.0), ("b", 2.0)])
    );
    assert_eq!(
        n.run(&["ZREVRANGEBYSCORE", "z", "+inf", "(3", "WITHSCORES"]),
        scored3(&[("d", 4.0)])
    );
}

#[test]
fn zrange_by_score() {
    let mut n = abcd();
    assert_eq!(
        n.run(&["ZRANGE", "z", "2", "3", "BYSCORE"]),
        bulks(&["b", "c"])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "(2", "+inf", "BYSCORE"]),
        bulks(&["c", "d"])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "-inf", "(2", "BYSCORE"]),
        bulks(&["a"])
    );
    assert_eq!(n.run(&["ZRANGE", "z", "(2", "(2", "BYSCORE"]), bulks(&[]));
    assert_eq!(n.run(&["ZRANGE", "z", "3", "1", "BYSCORE"]), bulks(&[]));
    assert_eq!(
        n.run(&[
            "ZRANGE",
            "z",
            "3",
            "1",
            "BYSCORE",
            "REV",
            "LIMIT",
            "1",
            "5",
            "WITHSCORES"
        ]),
        scored(&[("b", 2.0), ("a", 1.0)])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "1", "2"]),
        bulks(&["b", "c"])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "1", "-1"]),
        bulks(&["b", "c", "d"])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "-1", "2"]),
        bulks(&[])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "9", "2"]),
        bulks(&[])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "0", "0"]),
        bulks(&[])
    );
    assert_eq!(
        n.run(&[
            "ZRANGEBYSCORE",
            "z",
            "0",
            "+inf",
            "LIMIT",
            "0",
            "1",
            "LIMIT",
            "1",
            "1"
        ]),
        bulks(&["b"])
    );
    assert_eq!(
        n.run(&[
            "ZRANGEBYSCORE",
            "z",
            "-INF",
            "+Infinity",
            "WITHSCORES",
            "LIMIT",
            "3",
            "9"
        ]),
        scored(&[("d", 4.0)])
    );
    assert_eq!(
        n.run(&["ZREVRANGEBYSCORE", "z", "2", "1"]),
        bulks(&["b", "a"])
    );
    assert_eq!(n.run(&["ZREVRANGEBYSCORE", "z", "1", "2"]), bulks(&[]));
    assert_eq!(
        n.run(&["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"]),
        bulks(&["c", "b"])
    );
    // strtod's reading: an empty number is 0, leading spaces are skipped, overflow is inf.
    assert_eq!(n.run(&["ZRANGEBYSCORE", "z", "", " 1"]), bulks(&["a"]));
    assert_eq!(
        n.run(&["ZRANGEBYSCORE", "z", "(", "1e400"]),
        bulks(&["a", "b", "c", "d"])
    );
}

#[test]
fn zrange_by_lex() {
    let mut n = node();
    n.run(&["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"]);
    assert_eq!(
        n.run(&["ZRANGE", "z", "-", "+", "BYLEX"]),
        bulks(&["a", "b", "c", "d"])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "[b", "(d", "BYLEX"]),
        bulks(&["b", "c"])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "(b", "+", "BYLEX", "LIMIT", "1", "5"]),
        bulks(&["d"])
    );
    assert_eq!(
        n.run(&["ZRANGE", "z", "+", "[c", "BYLEX", "REV"]),
        bulks(&["d", "c"])
    );
    assert_eq!(n.run(&["ZRANGE", "z", "+", "-", "BYLEX"]), bulks(&[]));
    assert_eq!(n.run(&["ZRANGEBYLEX", "z", "[", "[b"]), bulks(&["a", "b"]));
    assert_eq!(
        n.run(&["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "2"]),
        bulks(&["c", "b"])
    );
    assert_eq!(
        n.run(&["ZREVRANGEBYLEX", "z", "(c", "[a"]),
        bulks(&["b", "a"])
    );
    assert_eq!(n.run(&["ZLEXCOUNT", "z", "-", "+"]), Reply::Int(4));
    assert_eq!(n.run(&["ZLEXCOUNT", "z", "(a", "[c"]), Reply::Int(2));
    assert_eq!(n.run(&["ZLEXCOUNT", "z", "[c", "[a"]), Reply::Int(0));
    assert_eq!(n.run(&["ZLEXCOUNT", "missing", "-", "+"]), Reply::Int(0));
}

#[test]
fn zcount_counts_a_score_range() {
    let mut n = abcd();
    assert_eq!(n.run(&["ZCOUNT", "z", "-inf", "+inf"]), Reply::Int(4));
    assert_eq!(n.run(&["ZCOUNT", "z", "(1", "3"]), Reply::Int(2));
    assert_eq!(n.run(&["ZCOUNT", "z", "3", "(1"]), Reply::Int(0));
    assert_eq!(n.run(&["ZCOUNT", "missing", "0", "1"]), Reply::Int(0));
    assert_eq!(
        error(n.run(&["ZCOUNT", "z", "x", "1"])),
        "ERR min or max is not a float"
    );
    assert_eq!(
        error(n.run(&["ZCOUNT", "z", "1 ", "2"])),
        "ERR min or max is not a float"
    );
    assert_eq!(
        error(n.run(&["ZCOUNT", "z", "(nan", "2"])),
        "ERR min or max is not a float"
    );
    put_string(&mut n, "s");
    assert_eq!(
        error(n.run(&["ZCOUNT", "s", "0", "x"])),
        "ERR min or max is not a float"
    );
    assert_eq!(error(n.run(&["ZCOUNT", "s", "0", "1"])), WRONGTYPE);
    assert_eq!(
        error(n.run(&["ZLEXCOUNT", "s", "a", "b"])),
        "ERR min or max not valid string range item"
    );
    assert_eq!(error(n.run(&["ZLEXCOUNT", "s", "-", "+"])), WRONGTYPE);
}

#[test]
fn range_errors_match_redis() {
    let mut n = abcd();
    put_string(&mut n, "s");
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            &["ZREVRANGE", "z", "0", "1", "LIMIT", "1", "1"],
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            &["ZRANGE", "z", "a", "b", "BYLEX", "WITHSCORES"],
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        (
            &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        (
            &["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
            "ERR syntax error",
        ),
        (
            &["ZRANGE", "z", "0", "-1", "REV", "REV"],
            "ERR syntax error",
        ),
        (
            &["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"],
            "ERR syntax error",
        ),
        (
            &["ZRANGE", "z", "0", "-1", "LIMIT", "x", "1"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["ZRANGE", "z", "x", "1", "BYSCORE"],
            "ERR min or max is not a float",
        ),
        (
            &["ZRANGE", "z", "x", "1"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["ZRANGE", "z", "a", "b", "BYLEX"],
            "ERR min or max not valid string range item",
        ),
        (
            &["ZRANGE", "z", "", "+", "BYLEX"],
            "ERR min or max not valid string range item",
        ),
        (
            &["ZRANGE", "z", "--", "+", "BYLEX"],
            "ERR min or max not valid string range item",
        ),
        (
            &["ZRANGEBYSCORE", "z", "0", "10", "REV"],
            "ERR syntax error",
        ),
        (
            &["ZRANGEBYSCORE", "z", "0", "10", "BYLEX"],
            "ERR syntax error",
        ),
        (
            &["ZRANGEBYSCORE", "z", "0", "10", "BYSCORE"],
            "ERR syntax error",
        ),
        (&["ZREVRANGE", "z", "0", "1", "REV"], "ERR syntax error"),
        (
            &["ZRANGE", "missing", "x", "y"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["ZRANGE", "s", "x", "y"],
            "ERR value is not an integer or out of range",
        ),
        (&["ZRANGE", "s", "0", "1"], WRONGTYPE),
        (&["ZRANGEBYLEX", "s", "-", "+"], WRONGTYPE),
    ];
    for (command, expected) in cases {
        assert_eq!(error(n.run(command)), *expected, "{command:?}");
    }
}

#[test]
fn large_ranges_walk_from_the_right_place() {
    let mut n = node();
    let mut args = vec!["ZADD".to_string(), "z".into()];
    for i in 0..3000 {
        args.push(i.to_string());
        args.push(format!("m{i:04}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(n.run(&refs), Reply::Int(3000));
    assert_eq!(
        n.run(&["ZRANGE", "z", "1500", "1501"]),
        bulks(&["m1500", "m1501"])
    );
    assert_eq!(
        n.run(&["ZREVRANGE", "z", "1500", "1501"]),
        bulks(&["m1499", "m1498"])
    );
    assert_eq!(n.run(&["ZRANK", "z", "m2999"]), Reply::Int(2999));
    assert_eq!(n.run(&["ZREVRANK", "z", "m2999"]), Reply::Int(0));
    assert_eq!(
        n.run(&["ZRANGEBYSCORE", "z", "(2000", "+inf", "LIMIT", "10", "2"]),
        bulks(&["m2011", "m2012"])
    );
    assert_eq!(
        n.run(&["ZREVRANGEBYSCORE", "z", "(2000", "-inf", "LIMIT", "10", "2"]),
        bulks(&["m1989", "m1988"])
    );
    assert_eq!(n.run(&["ZCOUNT", "z", "100", "(200"]), Reply::Int(100));
}

#[test]
fn lex_ranges_over_mixed_scores_answer_what_redis_answers() {
    // Unspecified in Redis's documentation, but its small-set encoding answers these (linear
    // scans from the start, or from the end when reversed), and clients compare.
    let mut n = node();
    n.run(&["ZADD", "z", "1", "c", "2", "a", "3", "h"]);
    assert_eq!(
        n.run(&["ZRANGEBYLEX", "z", "[b", "+"]),
        bulks(&["c", "a", "h"])
    );
    assert_eq!(n.run(&["ZREVRANGEBYLEX", "z", "+", "[b"]), bulks(&["h"]));
    assert_eq!(n.run(&["ZLEXCOUNT", "z", "[b", "+"]), Reply::Int(3));
    assert_eq!(n.run(&["ZRANGEBYLEX", "z", "[b", "[d"]), bulks(&["c", "a"]));
    assert_eq!(
        n.run(&["ZRANGEBYLEX", "z", "-", "[b", "LIMIT", "1", "5"]),
        bulks(&[])
    );
}
