use super::*;

fn abcde() -> TestNode {
    let mut n = node();
    n.run(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    n.records();
    n
}

#[test]
fn zrem_removes_and_deletes_the_emptied_key() {
    let mut n = node();
    n.run(&["ZADD", "z", "1", "a", "2", "b"]);
    n.records();
    assert_eq!(n.run(&["ZREM", "z", "a", "nope", "a"]), Reply::Int(1));
    assert_eq!(n.records(), vec![record(&["ZREM", "z", "a"])]);
    assert_eq!(n.run(&["ZREM", "z", "nope"]), Reply::Int(0));
    assert!(n.records().is_empty());
    assert_eq!(n.run(&["ZREM", "z", "b"]), Reply::Int(1));
    assert!(!exists(&n, "z"));
    assert_eq!(n.run(&["ZREM", "missing", "a"]), Reply::Int(0));
    put_string(&mut n, "s");
    assert_eq!(error(n.run(&["ZREM", "s", "a"])), WRONGTYPE);
}

#[test]
fn pops_take_from_either_end() {
    let mut n = abcde();
    assert_eq!(n.run(&["ZPOPMIN", "z"]), scored(&[("a", 1.0)]));
    assert_eq!(
        n.run(&["ZPOPMAX", "z", "2"]),
        scored(&[("e", 5.0), ("d", 4.0)])
    );
    assert_eq!(n.run(&["ZPOPMIN", "z", "0"]), bulks(&[]));
    assert_eq!(
        n.records(),
        vec![
            record(&["ZREM", "z", "a"]),
            record(&["ZREM", "z", "e", "d"])
        ]
    );
    assert_eq!(
        n.run(&["ZPOPMIN", "z", "100"]),
        scored(&[("b", 2.0), ("c", 3.0)])
    );
    assert!(!exists(&n, "z"));
    assert_eq!(n.records(), vec![record(&["ZREM", "z", "b", "c"])]);
    assert_eq!(n.run(&["ZPOPMIN", "z"]), bulks(&[]));
    assert_eq!(n.run(&["ZPOPMAX", "z", "3"]), bulks(&[]));
    assert!(n.records().is_empty());
}

#[test]
fn pops_in_resp3() {
    let mut n = abcde();
    resp3(&mut n);
    // Without a count, Redis 7.0 answers a flat [member, score] even in RESP3.
    assert_eq!(n.run(&["ZPOPMIN", "z"]), scored(&[("a", 1.0)]));
    assert_eq!(n.run(&["ZPOPMIN", "z", "1"]), scored3(&[("b", 2.0)]));
    assert_eq!(
        n.run(&["ZPOPMAX", "z", "2"]),
        scored3(&[("e", 5.0), ("d", 4.0)])
    );
}

#[test]
fn pop_errors() {
    let mut n = abcde();
    let positive = "ERR value is out of range, must be positive";
    assert_eq!(error(n.run(&["ZPOPMIN", "z", "-1"])), positive);
    assert_eq!(error(n.run(&["ZPOPMAX", "z", "x"])), positive);
    assert_eq!(error(n.run(&["ZPOPMIN", "missing", "x"])), positive);
    assert_eq!(
        error(n.run(&["ZPOPMIN", "z", "1", "2"])),
        "ERR syntax error"
    );
    put_string(&mut n, "s");
    assert_eq!(error(n.run(&["ZPOPMIN", "s"])), WRONGTYPE);
    assert_eq!(error(n.run(&["ZPOPMAX", "s", "0"])), WRONGTYPE);
    assert_eq!(n.run(&["ZCARD", "z"]), Reply::Int(5));
}

#[test]
fn zremrangebyrank() {
    let mut n = abcde();
    assert_eq!(n.run(&["ZREMRANGEBYRANK", "z", "1", "-2"]), Reply::Int(3));
    assert_eq!(n.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["a", "e"]));
    assert_eq!(n.records(), vec![record(&["ZREM", "z", "b", "c", "d"])]);
    assert_eq!(n.run(&["ZREMRANGEBYRANK", "z", "5", "10"]), Reply::Int(0));
    assert!(n.records().is_empty());
    assert_eq!(n.run(&["ZREMRANGEBYRANK", "z", "0", "-1"]), Reply::Int(2));
    assert!(!exists(&n, "z"));
    assert_eq!(
        error(n.run(&["ZREMRANGEBYRANK", "z", "x", "1"])),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn zremrangebyscore() {
    let mut n = abcde();
    assert_eq!(n.run(&["ZREMRANGEBYSCORE", "z", "(1", "3"]), Reply::Int(2));
    assert_eq!(n.records(), vec![record(&["ZREM", "z", "b", "c"])]);
    assert_eq!(
        n.run(&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]),
        Reply::Int(3)
    );
    assert!(!exists(&n, "z"));
    assert_eq!(
        n.run(&["ZREMRANGEBYSCORE", "missing", "0", "1"]),
        Reply::Int(0)
    );
    assert_eq!(
        error(n.run(&["ZREMRANGEBYSCORE", "missing", "x", "1"])),
        "ERR min or max is not a float"
    );
}

#[test]
fn zremrangebylex() {
    let mut n = node();
    n.run(&["ZADD", "z", "0", "a", "0", "b", "0", "c"]);
    n.records();
    assert_eq!(n.run(&["ZREMRANGEBYLEX", "z", "(a", "+"]), Reply::Int(2));
    assert_eq!(n.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["a"]));
    assert_eq!(n.records(), vec![record(&["ZREM", "z", "b", "c"])]);
    assert_eq!(
        error(n.run(&["ZREMRANGEBYLEX", "z", "x", "+"])),
        "ERR min or max not valid string range item"
    );
    put_string(&mut n, "s");
    assert_eq!(error(n.run(&["ZREMRANGEBYLEX", "s", "-", "+"])), WRONGTYPE);
}

#[test]
fn huge_removals_record_in_batches() {
    let mut n = node();
    let mut args = vec!["ZADD".to_string(), "z".into()];
    for i in 0..2500 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    n.run(&refs);
    let adds = n.records();
    assert_eq!(adds.iter().map(|r| (r.len() - 2) / 2).sum::<usize>(), 2500);
    assert_eq!(
        n.run(&["ZREMRANGEBYRANK", "z", "0", "-1"]),
        Reply::Int(2500)
    );
    let removals = n.records();
    assert_eq!(removals.len(), 3);
    assert!(removals.iter().all(|r| r[0] == "ZREM" && r[1] == "z"));
    assert_eq!(removals.iter().map(|r| r.len() - 2).sum::<usize>(), 2500);
}
