//! Strings with a real client: https://redis.io/commands/?group=string

use redis::Value;
use rg_testkit::Node;

use crate::support::{connect, err, q};

#[test]
fn set_with_expiry_options_sets_a_ttl() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "ex", "v", "EX", "100"]);
    let ttl: i64 = q(&mut con, &["TTL", "ex"]);
    assert!((1..=100).contains(&ttl), "TTL after SET EX 100 is {ttl}");
    let _: () = q(&mut con, &["SET", "px", "v", "PX", "100000"]);
    let pttl: i64 = q(&mut con, &["PTTL", "px"]);
    assert!(
        (1..=100_000).contains(&pttl),
        "PTTL after SET PX 100000 is {pttl}"
    );
    // A plain SET forgets the TTL; KEEPTTL keeps it.
    let _: () = q(&mut con, &["SET", "px", "w", "KEEPTTL"]);
    assert!(q::<i64>(&mut con, &["PTTL", "px"]) > 0);
    let _: () = q(&mut con, &["SET", "px", "w"]);
    assert_eq!(q::<i64>(&mut con, &["TTL", "px"]), -1);
}

#[test]
fn set_nx_and_xx_respect_existence() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<Value>(&mut con, &["SET", "k", "1", "XX"]), Value::Nil);
    assert_eq!(q::<Value>(&mut con, &["SET", "k", "1", "NX"]), Value::Okay);
    assert_eq!(q::<Value>(&mut con, &["SET", "k", "2", "NX"]), Value::Nil);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "1");
    assert_eq!(q::<Value>(&mut con, &["SET", "k", "3", "XX"]), Value::Okay);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "3");
}

#[test]
fn set_get_returns_the_old_value() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(
        q::<Option<String>>(&mut con, &["SET", "k", "a", "GET"]),
        None
    );
    assert_eq!(
        q::<Option<String>>(&mut con, &["SET", "k", "b", "GET"]),
        Some("a".into())
    );
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "b");
    let _: () = q(&mut con, &["RPUSH", "list", "x"]);
    assert_eq!(
        err(&mut con, &["SET", "list", "v", "GET"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn set_rejects_bad_options() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(
        err(&mut con, &["SET", "k", "v", "NX", "XX"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut con, &["SET", "k", "v", "KEEPTTL", "EX", "5"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut con, &["SET", "k", "v", "EX", "0"]),
        "ERR invalid expire time in 'set' command"
    );
    assert_eq!(
        err(&mut con, &["SET", "k", "v", "PX", "-5"]),
        "ERR invalid expire time in 'set' command"
    );
    assert_eq!(
        err(&mut con, &["SET", "k", "v", "EX", "soon"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut con, &["GET"]),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "k"]), 0);
}

#[test]
fn incr_family_counts_and_refuses_non_integers() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["INCR", "n"]), 1);
    assert_eq!(q::<i64>(&mut con, &["INCRBY", "n", "10"]), 11);
    assert_eq!(q::<i64>(&mut con, &["DECR", "n"]), 10);
    assert_eq!(q::<i64>(&mut con, &["DECRBY", "n", "-5"]), 15);
    assert_eq!(q::<String>(&mut con, &["GET", "n"]), "15");
    let not_integer = "ERR value is not an integer or out of range";
    let _: () = q(&mut con, &["SET", "word", "abc"]);
    assert_eq!(err(&mut con, &["INCR", "word"]), not_integer);
    let _: () = q(&mut con, &["SET", "spaced", " 1"]);
    assert_eq!(err(&mut con, &["INCR", "spaced"]), not_integer);
    assert_eq!(err(&mut con, &["INCRBY", "n", "abc"]), not_integer);
    assert_eq!(err(&mut con, &["DECRBY", "n", "1.5"]), not_integer);
    let _: () = q(&mut con, &["RPUSH", "list", "x"]);
    assert_eq!(
        err(&mut con, &["INCR", "list"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn incr_refuses_to_overflow() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let overflow = "ERR increment or decrement would overflow";
    let _: () = q(&mut con, &["SET", "max", "9223372036854775807"]);
    assert_eq!(err(&mut con, &["INCR", "max"]), overflow);
    assert_eq!(err(&mut con, &["DECRBY", "max", "-1"]), overflow);
    let _: () = q(&mut con, &["SET", "min", "-9223372036854775808"]);
    assert_eq!(err(&mut con, &["DECR", "min"]), overflow);
    assert_eq!(
        q::<String>(&mut con, &["GET", "max"]),
        "9223372036854775807"
    );
    assert_eq!(
        err(&mut con, &["INCRBY", "x", "9223372036854775808"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn incrbyfloat_adds_and_formats_like_redis() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "f", "10.5"]);
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "f", "-5"]), "5.6");
    let _: () = q(&mut con, &["SET", "g", "1.5"]);
    assert_eq!(
        q::<String>(&mut con, &["INCRBYFLOAT", "g", "2.0e2"]),
        "201.5"
    );
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "g", "-201.5"]), "0");
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "new", "3"]), "3");
    let _: () = q(&mut con, &["SET", "word", "abc"]);
    assert_eq!(
        err(&mut con, &["INCRBYFLOAT", "word", "1"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut con, &["INCRBYFLOAT", "f", "x"]),
        "ERR value is not a valid float"
    );
}

#[test]
fn append_getrange_setrange_and_strlen() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["APPEND", "s", "Hello"]), 5);
    assert_eq!(q::<i64>(&mut con, &["APPEND", "s", " World"]), 11);
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "s"]), 11);
    assert_eq!(q::<String>(&mut con, &["GETRANGE", "s", "0", "4"]), "Hello");
    assert_eq!(
        q::<String>(&mut con, &["GETRANGE", "s", "-5", "-1"]),
        "World"
    );
    assert_eq!(q::<String>(&mut con, &["GETRANGE", "s", "5", "1"]), "");
    assert_eq!(
        q::<String>(&mut con, &["GETRANGE", "missing", "0", "10"]),
        ""
    );
    assert_eq!(q::<i64>(&mut con, &["SETRANGE", "s", "6", "Redis"]), 11);
    assert_eq!(q::<String>(&mut con, &["GET", "s"]), "Hello Redis");
    // Writing past the end pads with zero bytes.
    assert_eq!(q::<i64>(&mut con, &["SETRANGE", "pad", "3", "x"]), 4);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "pad"]), b"\0\0\0x".to_vec());
    assert_eq!(
        err(&mut con, &["SETRANGE", "s", "-1", "x"]),
        "ERR offset is out of range"
    );
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "missing"]), 0);
}

#[test]
fn mset_and_mget_work_on_many_keys() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["MSET", "a", "1", "b", "2", "c", "3"]);
    let _: () = q(&mut con, &["RPUSH", "list", "x"]);
    // MGET answers nil for a missing key and for a key of another type.
    let values: Vec<Option<String>> = q(&mut con, &["MGET", "a", "missing", "c", "list", "b"]);
    let expected = [Some("1"), None, Some("3"), None, Some("2")];
    assert_eq!(values, expected.map(|v| v.map(String::from)));
    assert_eq!(
        err(&mut con, &["MSET", "a"]),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(
        err(&mut con, &["MSET", "a", "1", "b"]),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(q::<i64>(&mut con, &["MSETNX", "a", "9", "z", "9"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "z"]), 0);
    assert_eq!(q::<i64>(&mut con, &["MSETNX", "y", "8", "z", "9"]), 1);
    assert_eq!(q::<Vec<String>>(&mut con, &["MGET", "y", "z"]), ["8", "9"]);
}

#[test]
fn getex_changes_the_ttl_and_getdel_removes_the_key() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "k", "v"]);
    assert_eq!(q::<String>(&mut con, &["GETEX", "k", "EX", "100"]), "v");
    let ttl: i64 = q(&mut con, &["TTL", "k"]);
    assert!((1..=100).contains(&ttl), "TTL after GETEX EX 100 is {ttl}");
    assert_eq!(q::<String>(&mut con, &["GETEX", "k", "PERSIST"]), "v");
    assert_eq!(q::<i64>(&mut con, &["TTL", "k"]), -1);
    assert_eq!(
        q::<Option<String>>(&mut con, &["GETEX", "missing", "EX", "5"]),
        None
    );
    assert_eq!(
        err(&mut con, &["GETEX", "k", "EX", "10", "PERSIST"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut con, &["GETEX", "k", "EX", "-1"]),
        "ERR invalid expire time in 'getex' command"
    );
    assert_eq!(q::<String>(&mut con, &["GETDEL", "k"]), "v");
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(q::<Option<String>>(&mut con, &["GETDEL", "k"]), None);
}

#[test]
fn string_commands_refuse_other_types() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SADD", "set", "m"]);
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for args in [
        &["GET", "set"][..],
        &["APPEND", "set", "x"],
        &["GETRANGE", "set", "0", "1"],
        &["STRLEN", "set"],
        &["GETDEL", "set"],
        &["INCRBYFLOAT", "set", "1"],
    ] {
        assert_eq!(err(&mut con, args), wrongtype, "{args:?}");
    }
}

#[test]
fn a_twenty_megabyte_value_round_trips() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let value: Vec<u8> = (0..20 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&value)
        .query(&mut con)
        .unwrap();
    let back: Vec<u8> = redis::cmd("GET").arg("big").query(&mut con).unwrap();
    assert_eq!(back.len(), value.len());
    assert!(back == value, "the value came back changed");
}
