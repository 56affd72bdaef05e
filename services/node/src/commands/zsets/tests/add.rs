use super::*;

#[test]
fn zadd_adds_and_updates() {
    let mut n = node();
    assert_eq!(n.run(&["ZADD", "z", "1", "a", "2", "b"]), Reply::Int(2));
    assert_eq!(n.run(&["ZADD", "z", "5", "a", "3", "c"]), Reply::Int(1));
    assert_eq!(n.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["b", "c", "a"]));
    assert_eq!(
        n.records(),
        vec![
            record(&["ZADD", "z", "1", "a", "2", "b"]),
            record(&["ZADD", "z", "5", "a", "3", "c"])
        ]
    );
    // The same scores again change nothing and record nothing.
    assert_eq!(
        n.run(&["ZADD", "z", "CH", "5", "a", "3", "c"]),
        Reply::Int(0)
    );
    assert!(n.records().is_empty());
}

#[test]
fn zadd_options() {
    let mut n = node();
    n.run(&["ZADD", "z", "10", "a", "20", "b"]);
    n.records();
    assert_eq!(
        n.run(&["ZADD", "z", "NX", "1", "a", "1", "c"]),
        Reply::Int(1)
    );
    assert_eq!(n.run(&["ZSCORE", "z", "a"]), d(10.0));
    assert_eq!(
        n.run(&["ZADD", "z", "XX", "CH", "11", "a", "1", "d"]),
        Reply::Int(1)
    );
    assert_eq!(n.run(&["ZSCORE", "z", "d"]), Reply::Nil);
    assert_eq!(
        n.run(&["ZADD", "z", "GT", "CH", "5", "a", "25", "b", "7", "e"]),
        Reply::Int(2)
    );
    assert_eq!(n.run(&["ZSCORE", "z", "a"]), d(11.0));
    assert_eq!(
        n.run(&["ZADD", "z", "LT", "CH", "5", "a", "30", "b"]),
        Reply::Int(1)
    );
    assert_eq!(n.run(&["ZSCORE", "z", "b"]), d(25.0));
    assert_eq!(
        n.records(),
        vec![
            record(&["ZADD", "z", "1", "c"]),
            record(&["ZADD", "z", "11", "a"]),
            record(&["ZADD", "z", "25", "b", "7", "e"]),
            record(&["ZADD", "z", "5", "a"]),
        ]
    );
}

#[test]
fn zadd_xx_never_creates_the_key() {
    let mut n = node();
    assert_eq!(n.run(&["ZADD", "z", "XX", "1", "a"]), Reply::Int(0));
    assert_eq!(n.run(&["ZADD", "z", "XX", "INCR", "1", "a"]), Reply::Nil);
    assert!(!exists(&n, "z"));
    assert!(n.records().is_empty());
}

#[test]
fn zadd_incr_answers_the_new_score_and_records_it() {
    let mut n = node();
    assert_eq!(n.run(&["ZADD", "z", "INCR", "0.1", "a"]), d(0.1));
    assert_eq!(n.run(&["ZADD", "z", "INCR", "0.2", "a"]), d(0.1 + 0.2));
    assert_eq!(n.run(&["ZADD", "z", "NX", "INCR", "1", "a"]), Reply::Nil);
    assert_eq!(n.run(&["ZADD", "z", "GT", "INCR", "-1", "a"]), Reply::Nil);
    // Processed but unchanged: the score is answered, nothing recorded.
    assert_eq!(n.run(&["ZADD", "z", "INCR", "0", "a"]), d(0.1 + 0.2));
    assert_eq!(
        n.records(),
        vec![
            record(&["ZADD", "z", "0.10000000000000001", "a"]),
            record(&["ZADD", "z", "0.30000000000000004", "a"]),
        ]
    );
    // The recorded text reads back as the same double.
    assert_eq!("0.30000000000000004".parse::<f64>().ok(), Some(0.1 + 0.2));
}

#[test]
fn zadd_errors_match_redis() {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZADD", "z", "NX", "XX", "1", "a"],
            "ERR XX and NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "GT", "LT", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "NX", "GT", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "INCR", "1", "a", "2", "b"],
            "ERR INCR option supports a single increment-element pair",
        ),
        (&["ZADD", "z", "NX", "XX", "1"], "ERR syntax error"),
        (&["ZADD", "z", "1", "a", "2"], "ERR syntax error"),
        (&["ZADD", "z", "CH", "NX"], "ERR syntax error"),
        (&["ZADD", "z", "x", "a"], "ERR value is not a valid float"),
        (&["ZADD", "z", "nan", "a"], "ERR value is not a valid float"),
        (
            &["ZADD", "z", "1", "a", "oops", "b"],
            "ERR value is not a valid float",
        ),
        (
            &["ZADD", "z", "1"],
            "ERR wrong number of arguments for 'zadd' command",
        ),
    ];
    for (command, expected) in cases {
        assert_eq!(error(n.run(command)), *expected, "{command:?}");
    }
    assert_eq!(n.run(&["ZCARD", "z"]), Reply::Int(1));
    n.records();
    assert_eq!(n.run(&["ZADD", "z", "INCR", "inf", "a"]), d(f64::INFINITY));
    assert_eq!(
        error(n.run(&["ZADD", "z", "INCR", "-inf", "a"])),
        "ERR resulting score is not a number (NaN)"
    );
    assert_eq!(n.run(&["ZSCORE", "z", "a"]), d(f64::INFINITY));
    assert_eq!(n.records(), vec![record(&["ZADD", "z", "inf", "a"])]);
    put_string(&mut n, "s");
    assert_eq!(error(n.run(&["ZADD", "s", "1", "a"])), WRONGTYPE);
    assert_eq!(
        error(n.run(&["ZADD", "s", "x", "a"])),
        "ERR value is not a valid float"
    );
}

#[test]
fn zadd_ch_counts_every_change() {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(
        n.run(&["ZADD", "z", "CH", "5", "a", "2", "b", "7", "d"]),
        Reply::Int(2)
    );
    assert_eq!(
        n.run(&["ZADD", "z", "ch", "gt", "1", "a", "9", "b"]),
        Reply::Int(1)
    );
}

#[test]
fn zincrby_creates_adds_and_records_absolute_scores() {
    let mut n = node();
    assert_eq!(n.run(&["ZINCRBY", "z", "2", "a"]), d(2.0));
    assert_eq!(n.run(&["ZINCRBY", "z", "-0.5", "a"]), d(1.5));
    assert_eq!(n.run(&["ZINCRBY", "z", "0", "a"]), d(1.5));
    assert_eq!(
        n.records(),
        vec![
            record(&["ZADD", "z", "2", "a"]),
            record(&["ZADD", "z", "1.5", "a"])
        ]
    );
    assert_eq!(
        error(n.run(&["ZINCRBY", "z", "x", "a"])),
        "ERR value is not a valid float"
    );
    n.run(&["ZINCRBY", "z", "inf", "a"]);
    assert_eq!(
        error(n.run(&["ZINCRBY", "z", "-inf", "a"])),
        "ERR resulting score is not a number (NaN)"
    );
    put_string(&mut n, "s");
    assert_eq!(error(n.run(&["ZINCRBY", "s", "1", "a"])), WRONGTYPE);
}

#[test]
fn negative_zero_is_stored_as_zero() {
    let mut n = node();
    // Redis answers the computed -0 but its small-set encoding stores 0.
    assert_eq!(n.run(&["ZINCRBY", "z", "-0", "c"]), d(-0.0));
    n.run(&["ZADD", "z", "-0", "b", "0", "a"]);
    assert_eq!(n.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["a", "b", "c"]));
    let Reply::Double(score) = n.run(&["ZSCORE", "z", "b"]) else {
        panic!()
    };
    assert!(score == 0.0 && score.is_sign_positive());
    assert_eq!(n.run(&["ZADD", "z", "CH", "0", "b"]), Reply::Int(0));
}

#[test]
fn binary_members() {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a\r\nb", "2", ""]);
    assert_eq!(n.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["a\r\nb", ""]));
    assert_eq!(n.run(&["ZSCORE", "z", ""]), d(2.0));
}
