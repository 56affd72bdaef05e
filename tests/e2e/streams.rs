//! Streams (https://redis.io/commands/?group=stream) against redis-server 7.0.15: the same
//! commands to both, the same replies (errors by their full line). Times (idle, seen-time,
//! delivery times) and XINFO's `radix-tree-nodes` are masked, being clocks and allocator
//! facts rather than behaviour.

use std::thread;
use std::time::Duration;

use redis::Value;
use rg_testkit::{assert_eventually, Node};

use crate::reference::{answer, Answer, RedisServer};
use crate::replication::{converged, Group};
use crate::support::{connect, q, wait_for_blocked_clients};

/// Replaces what depends on the clock with 0.
fn mask(args: &[&str], answer: Answer) -> Answer {
    let Answer::Value(value) = answer else {
        return answer;
    };
    let mut value = mask_value(value);
    let extended_xpending = args[0].eq_ignore_ascii_case("XPENDING") && args.len() > 3;
    if let (true, Value::Array(items)) = (extended_xpending, &mut value) {
        for item in items {
            if let Value::Array(fields) = item {
                if fields.len() == 4 {
                    fields[2] = Value::Int(0);
                }
            }
        }
    }
    Answer::Value(value)
}

fn mask_value(value: Value) -> Value {
    match value {
        Value::Int(n) if n > 1_000_000_000_000 => Value::Int(0),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut hide_next = false;
            for item in items {
                if hide_next {
                    out.push(Value::Int(0));
                    hide_next = false;
                    continue;
                }
                if let Value::BulkString(bytes) = &item {
                    hide_next = matches!(
                        bytes.as_slice(),
                        b"idle" | b"seen-time" | b"radix-tree-nodes"
                    );
                }
                out.push(mask_value(item));
            }
            Value::Array(out)
        }
        other => other,
    }
}

/// Runs every line on both servers, in order, asserting equal (masked) answers; returns
/// how many lines were compared.
fn run_cases(cases: &[&str]) -> usize {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    for (step, line) in cases.iter().enumerate() {
        let args: Vec<&str> = line.split(' ').collect();
        let expected = mask(&args, answer(&mut redis, &args));
        let got = mask(&args, answer(&mut rg, &args));
        let key = args[1..]
            .iter()
            .find(|w| w.len() == 2 && w.starts_with('k'))
            .copied()
            .unwrap_or_default();
        let before: Vec<&&str> = cases[..step]
            .iter()
            .filter(|l| l.split(' ').any(|w| w == key))
            .rev()
            .take(12)
            .collect();
        assert_eq!(
            got, expected,
            "{line}: rg-node answered differently (step {step}; before, latest first: {before:?})"
        );
    }
    cases.len()
}

const ADD_AND_RANGE: &[&str] = &[
    "XADD s 1-1 a 1",
    "XADD s 1-1 a 1",
    "XADD s 1-0 a 1",
    "XADD s 0-0 a 1",
    "XADD s 0 a 1",
    "XADD s 1-* b 2",
    "XADD s 2-* c 3 d 4",
    "XADD s 2-* e 5",
    "XADD s 5 f 6",
    "XADD s 3 x y",
    "XADD s abc x y",
    "XADD s 1-x x y",
    "XADD s - x y",
    "XADD s + x y",
    "XADD s 10-1 f",
    "XADD s 10-1 f v g",
    "XADD s 10-1",
    "XADD s MAXLEN",
    "XADD s MAXLEN 5",
    "XADD s MAXLEN -1 * f v",
    "XADD s MAXLEN x * f v",
    "XADD s MAXLEN 5 MINID 1 * f v",
    "XADD s LIMIT 10 * f v",
    "XADD s MAXLEN 5 LIMIT 10 10-1 f v",
    "XADD s MAXLEN = 5 LIMIT 10 10-1 f v",
    "XADD s MAXLEN ~ 5 LIMIT -1 10-1 f v",
    "XADD s NOMKSTREAM 10-1 f v",
    "XADD missing NOMKSTREAM 10-1 f v",
    "EXISTS missing",
    "XADD s 18446744073709551615-18446744073709551616 f v",
    "XADD s 18446744073709551616 f v",
    "XLEN s",
    "XLEN nosuch",
    "XRANGE s - +",
    "XRANGE s - + COUNT 2",
    "XRANGE s - + COUNT 0",
    "XRANGE s - + COUNT -1",
    "XRANGE s - + COUNT",
    "XRANGE s - + COUNT x",
    "XRANGE s - + LIMIT 2",
    "XRANGE s 2 2",
    "XRANGE s 2 5",
    "XRANGE s (1-1 +",
    "XRANGE s - (2-1",
    "XRANGE s (2-0 (5-0",
    "XRANGE s 5 1",
    "XRANGE s (- +",
    "XRANGE s ( +",
    "XRANGE s (18446744073709551615-18446744073709551615 +",
    "XRANGE s - (0-0",
    "XRANGE s x +",
    "XRANGE s 1-1-1 +",
    "XRANGE nosuch - +",
    "XREVRANGE s + -",
    "XREVRANGE s + - COUNT 1",
    "XREVRANGE s 2 1",
    "XREVRANGE s (5-0 -",
    "XREVRANGE s + (1-1",
    "XREVRANGE s - +",
    "XREVRANGE s + - COUNT 0",
    "SET str x",
    "XADD str 1-1 f v",
    "XRANGE str - +",
    "XLEN str",
    "XDEL str 1-1",
    "XTRIM str MAXLEN 1",
    "TYPE s",
    "OBJECT ENCODING s",
    "XDEL s 2-1",
    "XDEL s 2-1 2-0 99-1",
    "XDEL s abc",
    "XDEL nosuch 1-1",
    "XRANGE s - +",
    "XLEN s",
    "XADD s 18446744073709551615-18446744073709551614 f v",
    "XADD s 18446744073709551615-* f v",
    "XADD s 18446744073709551615-* f v",
    "XADD s * f v",
    "XRANGE s 18446744073709551615 +",
    "XADD big 18446744073709551615-18446744073709551615 f v",
    "XADD big * f v",
    "XADD big 1-* f v",
    "XRANGE big - +",
    "XADD z 0-* f v",
    "XADD z 0-* f v",
    "XRANGE z - +",
    "XADD multi 7-7 a 1 b 2 c 3",
    "XRANGE multi - +",
    "XADD dup 1 f 1 f 2",
    "XRANGE dup - +",
];

#[test]
fn xadd_xrange_xrevrange_xdel_and_ids_answer_as_redis_does() {
    assert!(run_cases(ADD_AND_RANGE) > 80);
}

const TRIM_AND_SETID: &[&str] = &[
    "XADD t 1 f v",
    "XADD t 2 f v",
    "XADD t 3 f v",
    "XADD t 4 f v",
    "XADD t 5 f v",
    "XTRIM t MAXLEN 3",
    "XRANGE t - +",
    "XTRIM t MAXLEN = 2",
    "XTRIM t MAXLEN ~ 1",
    "XLEN t",
    "XTRIM t MINID 5",
    "XRANGE t - +",
    "XTRIM t MINID = 6",
    "XLEN t",
    "XINFO STREAM t",
    "XTRIM t",
    "XTRIM t FOO 1",
    "XTRIM t MAXLEN 1 MINID 1",
    "XTRIM t MAXLEN 1 LIMIT 10",
    "XTRIM t MAXLEN ~ 1 LIMIT 10",
    "XTRIM t MINID ~ x",
    "XTRIM t MAXLEN -1",
    "XTRIM t LIMIT 1",
    "XTRIM t LIMIT 0 MAXLEN 1",
    "XTRIM nosuch MAXLEN 1",
    "XTRIM t MAXLEN 1 extra",
    "XSETID t 10-0",
    "XINFO STREAM t",
    "XSETID t 9-0",
    "XADD t 11 f v",
    "XADD t 12 f v",
    "XSETID t 11-0",
    "XSETID t 20-0 ENTRIESADDED 1",
    "XSETID t 20-0 ENTRIESADDED -1",
    "XSETID t 20-0 ENTRIESADDED 100 MAXDELETEDID 30-0",
    "XSETID t 20-0 ENTRIESADDED 100 MAXDELETEDID 15-0",
    "XINFO STREAM t",
    "XSETID t 16-0",
    "XSETID t 25-0 FOO",
    "XSETID t 25-0 ENTRIESADDED",
    "XSETID t x",
    "XSETID t -",
    "XSETID nosuch 1-1",
    "XSETID str 1-1",
    "SET str x",
    "XSETID str 1-1",
];

#[test]
fn xtrim_and_xsetid_answer_as_redis_does() {
    assert!(run_cases(TRIM_AND_SETID) > 40);
}

/// Approximate trims remove whole nodes of 100 entries, as Redis's listpack nodes.
#[test]
fn approximate_trims_remove_what_redis_removes() {
    let mut cases: Vec<String> = (1..=350).map(|i| format!("XADD a {i} f v")).collect();
    cases.extend(
        [
            "XTRIM a MAXLEN ~ 300",
            "XLEN a",
            "XTRIM a MAXLEN ~ 120",
            "XLEN a",
            "XTRIM a MAXLEN ~ 10 LIMIT 100",
            "XLEN a",
            "XTRIM a MAXLEN ~ 10 LIMIT 99",
            "XLEN a",
            "XADD a MAXLEN ~ 0 351 f v",
            "XLEN a",
            "XTRIM a MINID ~ 320",
            "XRANGE a - + COUNT 1",
            "XTRIM a MINID 340",
            "XRANGE a - + COUNT 1",
            "XINFO STREAM a",
        ]
        .map(String::from),
    );
    for i in 1..=250 {
        cases.push(format!("XADD b {i} field{i} value-{i}"));
    }
    for i in (1..=150).step_by(3) {
        cases.push(format!("XDEL b {i}"));
    }
    cases.extend(
        [
            "XTRIM b MAXLEN ~ 100",
            "XLEN b",
            "XADD b MAXLEN ~ 60 251 f v",
            "XLEN b",
            "XINFO STREAM b",
        ]
        .map(String::from),
    );
    // Node size limits: 4096 bytes of listpack as Redis encodes it (integers short,
    // repeated field names left out), whatever the entries' sizes.
    let sizes = [1usize, 9, 40, 63, 64, 100, 130, 300, 1000, 5000];
    for (n, size) in sizes.iter().enumerate() {
        let key = format!("sz{n}");
        for i in 1..=120u64 {
            let value = "x".repeat(*size);
            let field = if i % 7 == 0 { "other" } else { "field" };
            // Growing gaps: the ID deltas take every integer width.
            let ms = i * i * i * 9000;
            cases.push(format!("XADD {key} {ms}-{} {field} {value} n {i}", i % 4));
        }
        cases.push(format!("XINFO STREAM {key}"));
        cases.push(format!("XTRIM {key} MAXLEN ~ 50"));
        cases.push(format!("XLEN {key}"));
        cases.push(format!("XDEL {key} 9000-1 72000-2"));
        cases.push(format!("XTRIM {key} MAXLEN ~ 20"));
        cases.push(format!("XINFO STREAM {key}"));
    }
    let lines: Vec<&str> = cases.iter().map(String::as_str).collect();
    run_cases(&lines);
}

const GROUPS: &[&str] = &[
    "XGROUP CREATE g grp $",
    "XGROUP CREATE g grp $ MKSTREAM",
    "XGROUP CREATE g grp $ MKSTREAM",
    "XINFO STREAM g",
    "XGROUP CREATE g grp2 0 ENTRIESREAD 5",
    "XGROUP CREATE g grp3 0 ENTRIESREAD -2",
    "XGROUP CREATE g grp3 0 ENTRIESREAD x",
    "XGROUP CREATE g grp3 x",
    "XGROUP CREATE g grp3 0 FOO",
    "XGROUP CREATE g grp3 0 MKSTREAM ENTRIESREAD 1 extra",
    "XGROUP CREATE g",
    "XGROUP FOO g",
    "XGROUP HELP",
    "XGROUP HELP extra",
    "XGROUP CREATE str grp $",
    "XGROUP SETID g nogrp 0",
    "XGROUP SETID nosuch grp 0",
    "XGROUP CREATECONSUMER g nogrp c",
    "XGROUP DELCONSUMER g nogrp c",
    "XGROUP DESTROY g nogrp",
    "XGROUP DESTROY nosuch grp",
    "XADD g 1 a 1",
    "XADD g 2 b 2",
    "XADD g 3 c 3",
    "XADD g 4 d 4",
    "XINFO GROUPS g",
    "XGROUP CREATECONSUMER g grp alice",
    "XGROUP CREATECONSUMER g grp alice",
    "XREADGROUP GROUP grp alice COUNT 1 STREAMS g >",
    "XREADGROUP GROUP grp bob COUNT 2 STREAMS g >",
    "XINFO GROUPS g",
    "XINFO CONSUMERS g grp",
    "XINFO CONSUMERS g nogrp",
    "XPENDING g grp",
    "XPENDING g grp - + 10",
    "XPENDING g grp - + 10 bob",
    "XPENDING g grp - + 10 nobody",
    "XPENDING g grp (1 + 10",
    "XPENDING g grp - (3 1",
    "XPENDING g grp IDLE 0 - + 10",
    "XPENDING g grp IDLE 100000 - + 10",
    "XPENDING g grp - + -1",
    "XPENDING g grp - + x",
    "XPENDING g grp IDLE x - + 1",
    "XPENDING g grp IDLE 0 - +",
    "XPENDING g grp -",
    "XPENDING g grp x + 10",
    "XPENDING g nogrp",
    "XPENDING nosuch grp",
    "XPENDING str grp",
    "XREADGROUP GROUP grp alice STREAMS g 0",
    "XREADGROUP GROUP grp bob STREAMS g 0",
    "XREADGROUP GROUP grp bob COUNT 1 STREAMS g 2-1",
    "XPENDING g grp - + 10",
    "XACK g grp 1",
    "XACK g grp 1 2 99",
    "XACK g grp x",
    "XACK g nogrp 1",
    "XACK nosuch grp 1",
    "XACK str grp 1",
    "XPENDING g grp",
    "XREADGROUP GROUP grp alice STREAMS g >",
    "XREADGROUP GROUP grp alice STREAMS g >",
    "XREADGROUP GROUP grp alice NOACK STREAMS g >",
    "XADD g 5 e 5",
    "XREADGROUP GROUP grp carol NOACK STREAMS g >",
    "XINFO GROUPS g",
    "XINFO CONSUMERS g grp",
    "XPENDING g grp",
    "XDEL g 4",
    "XREADGROUP GROUP grp alice STREAMS g 0",
    "XINFO GROUPS g",
    "XADD g 6 f 6",
    "XINFO GROUPS g",
    "XREADGROUP GROUP grp alice STREAMS g >",
    "XINFO GROUPS g",
    "XGROUP SETID g grp 0",
    "XINFO GROUPS g",
    "XREADGROUP GROUP grp dave COUNT 2 STREAMS g >",
    "XPENDING g grp - + 10",
    "XGROUP SETID g grp $ ENTRIESREAD 3",
    "XINFO GROUPS g",
    "XGROUP SETID g grp 1 ENTRIESREAD -3",
    "XGROUP SETID g grp 1 FOO 1",
    "XGROUP SETID g grp x",
    "XGROUP DELCONSUMER g grp dave",
    "XGROUP DELCONSUMER g grp dave",
    "XPENDING g grp",
    "XINFO CONSUMERS g grp",
    "XGROUP DESTROY g grp2",
    "XGROUP DESTROY g grp2",
    "XINFO GROUPS g",
    "XREADGROUP GROUP grp alice STREAMS g $",
    "XREADGROUP GROUP grp alice STREAMS g",
    "XREADGROUP GROUP nogrp alice STREAMS g >",
    "XREADGROUP GROUP grp alice STREAMS nosuch >",
    "XREADGROUP STREAMS g >",
    "XREADGROUP GROUP grp alice COUNT x STREAMS g >",
    "XREADGROUP GROUP grp alice FOO STREAMS g >",
    "XREADGROUP GROUP grp alice STREAMS g x",
    "XREADGROUP GROUP grp alice STREAMS str >",
    "XGROUP CREATE g2 grp 0 MKSTREAM",
    "XADD g2 1 x 1",
    "XREADGROUP GROUP grp alice COUNT 10 STREAMS g g2 > >",
    "XREADGROUP GROUP grp alice STREAMS g g2 0 0",
    "XINFO STREAM g FULL",
    "XINFO STREAM g FULL COUNT 1",
    "XINFO STREAM g FULL COUNT 0",
    "XINFO STREAM g FULL COUNT -5",
    "XINFO STREAM g FULL COUNT x",
    "XINFO STREAM g FULL COUNT",
    "XINFO STREAM g FOO",
    "XINFO STREAM g FULL FOO 1",
    "XINFO STREAM nosuch",
    "XINFO STREAM str",
    "XINFO GROUPS nosuch",
    "XINFO GROUPS",
    "XINFO CONSUMERS g",
    "XINFO FOO g",
    "XINFO HELP",
    "XINFO HELP x",
    "XINFO STREAM g2",
    "XINFO STREAM g2 FULL",
];

#[test]
fn consumer_groups_answer_as_redis_does() {
    assert!(run_cases(GROUPS) > 100);
}

const READ_AND_CLAIM: &[&str] = &[
    "XADD r 1 a 1",
    "XADD r 2 b 2",
    "XADD r 3 c 3",
    "XREAD STREAMS r 0",
    "XREAD COUNT 1 STREAMS r 0",
    "XREAD COUNT 1 STREAMS r 1",
    "XREAD STREAMS r 3",
    "XREAD STREAMS r $",
    "XREAD STREAMS r nosuch 0 0",
    "XREAD STREAMS nosuch r 0 0",
    "XREAD STREAMS r",
    "XREAD STREAMS r 0 1",
    "XREAD STREAMS",
    "XREAD COUNT 1",
    "XREAD COUNT -1 STREAMS r 0",
    "XREAD BLOCK -1 STREAMS r 0",
    "XREAD BLOCK x STREAMS r 0",
    "XREAD GROUP g c STREAMS r 0",
    "XREAD NOACK STREAMS r 0",
    "XREAD STREAMS r >",
    "XREAD STREAMS r x",
    "XREAD STREAMS r -",
    "XREAD STREAMS str 0",
    "XREAD FOO STREAMS r 0",
    "XREAD BLOCK 10 STREAMS r 0",
    "XREAD STREAMS r 18446744073709551615-18446744073709551615",
    "XGROUP CREATE r g 0",
    "XREADGROUP GROUP g alice STREAMS r >",
    "XCLAIM r g bob 0 1",
    "XCLAIM r g bob 0 1 2 JUSTID",
    "XPENDING r g - + 10",
    "XCLAIM r g bob 0 1 RETRYCOUNT 7",
    "XPENDING r g - + 10",
    "XCLAIM r g bob 100000 2",
    "XCLAIM r g bob 0 9 FORCE",
    "XCLAIM r g bob 0 3 FORCE JUSTID",
    "XCLAIM r g carol 0 3 TIME 1000 RETRYCOUNT 3 JUSTID",
    "XPENDING r g - + 10",
    "XCLAIM r g carol 0 3 IDLE x",
    "XCLAIM r g carol 0 3 TIME x",
    "XCLAIM r g carol 0 3 RETRYCOUNT x",
    "XCLAIM r g carol 0 3 LASTID x",
    "XCLAIM r g carol 0 3 FOO",
    "XCLAIM r g carol x 3",
    "XCLAIM r nogrp carol 0 3",
    "XCLAIM nosuch g carol 0 3",
    "XCLAIM str g carol 0 3",
    "XCLAIM r g carol 0 x",
    "XCLAIM r g carol 0 1 LASTID 50",
    "XINFO GROUPS r",
    "XCLAIM r g carol 0 77 LASTID 60",
    "XINFO GROUPS r",
    "XDEL r 2",
    "XCLAIM r g carol 0 2",
    "XPENDING r g - + 10",
    "XADD r 4 d 4",
    "XADD r 5 e 5",
    "XCLAIM r g erin 0 4 5 FORCE",
    "XDEL r 4",
    "XAUTOCLAIM r g frank 0 0",
    "XPENDING r g - + 10",
    "XAUTOCLAIM r g gina 0 0 COUNT 1",
    "XAUTOCLAIM r g gina 0 0 COUNT 1 JUSTID",
    "XAUTOCLAIM r g gina 0 (1 COUNT 2 JUSTID",
    "XAUTOCLAIM r g gina 100000 0",
    "XAUTOCLAIM r g gina 0 0 COUNT 0",
    "XAUTOCLAIM r g gina 0 0 COUNT -1",
    "XAUTOCLAIM r g gina 0 0 COUNT x",
    "XAUTOCLAIM r g gina 0 0 FOO",
    "XAUTOCLAIM r g gina x 0",
    "XAUTOCLAIM r g gina 0 x",
    "XAUTOCLAIM r nogrp gina 0 0",
    "XAUTOCLAIM nosuch g gina 0 0",
    "XAUTOCLAIM str g gina 0 0",
    "XAUTOCLAIM r g gina 0 (18446744073709551615-18446744073709551615",
    "XINFO CONSUMERS r g",
    "XPENDING r g",
    "XINFO STREAM r FULL",
];

#[test]
fn xread_xclaim_and_xautoclaim_answer_as_redis_does() {
    assert!(run_cases(READ_AND_CLAIM) > 70);
}

const KEYSPACE: &[&str] = &[
    "XADD k 1-1 f v",
    "XGROUP CREATE k g 0",
    "XREADGROUP GROUP g c STREAMS k >",
    "TYPE k",
    "OBJECT ENCODING k",
    "EXISTS k",
    "SCAN 0 TYPE stream",
    "COPY k k2",
    "XINFO GROUPS k2",
    "XPENDING k2 g - + 10",
    "RENAME k2 k3",
    "XRANGE k3 - +",
    "XLEN k2",
    "MOVE k3 1",
    "SELECT 1",
    "XINFO GROUPS k3",
    "SELECT 0",
    "EXPIRE k 100",
    "TTL k",
    "PERSIST k",
    "XDEL k 1-1",
    "EXISTS k",
    "XLEN k",
    "XINFO STREAM k",
    "DEL k",
    "XINFO STREAM k",
    "SET k v",
    "XADD k 1 f v",
    "XREADGROUP GROUP g c STREAMS k >",
    "DEL k",
    "MULTI",
    "XADD k 1 f v",
    "XREAD BLOCK 0 STREAMS k $",
    "XREADGROUP GROUP g c BLOCK 0 STREAMS k >",
    "EXEC",
    "XGROUP CREATE k g 0",
    "MULTI",
    "XREADGROUP GROUP g c BLOCK 0 STREAMS k >",
    "XREADGROUP GROUP g c BLOCK 0 STREAMS k >",
    "EXEC",
    "XPENDING k g",
    "SORT k",
    "LPUSH k x",
    "XADD k MAXLEN 0 2 f v",
    "XINFO STREAM k",
    "XLEN k",
    "EVAL return(redis.call('xread','block','0','streams','k','$')) 0",
    "EVAL return(redis.call('XREADGROUP','GROUP','g','c','BLOCK','0','STREAMS','k','>')) 0",
    "EVAL return(redis.call('xread','streams','k','0')) 0",
    "EVAL return(redis.call('xadd','k','9-9','f','v')) 0",
];

/// Streams are keys like the others: TYPE, OBJECT ENCODING, SCAN TYPE, COPY, RENAME, MOVE,
/// expiry; an emptied stream stays; blocking reads inside MULTI answer at once.
#[test]
fn streams_behave_as_keys_and_inside_transactions_as_redis_does() {
    run_cases(KEYSPACE);
}

fn spawn_read(node_port: u16, args: Vec<&'static str>) -> thread::JoinHandle<Value> {
    thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{node_port}")).unwrap();
        let mut con = client.get_connection().unwrap();
        crate::support::command(&args)
            .query::<Value>(&mut con)
            .unwrap()
    })
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn entry(id: &str, fields: &[&str]) -> Value {
    Value::Array(vec![
        bulk(id),
        Value::Array(fields.iter().map(|f| bulk(f)).collect()),
    ])
}

/// XREAD BLOCK with `$` waits for the next XADD from another client; one that times out
/// answers nil.
#[test]
fn a_blocked_xread_is_woken_by_xadd_and_times_out_otherwise() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: String = q(&mut con, &["XADD", "s", "1-1", "old", "x"]);
    let reader = spawn_read(node.port, vec!["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_for_blocked_clients(&mut con, 1);
    let _: String = q(&mut con, &["XADD", "s", "2-1", "new", "y"]);
    let expected = Value::Array(vec![Value::Array(vec![
        bulk("s"),
        Value::Array(vec![entry("2-1", &["new", "y"])]),
    ])]);
    assert_eq!(reader.join().unwrap(), expected);
    let timed_out = spawn_read(node.port, vec!["XREAD", "BLOCK", "50", "STREAMS", "s", "$"]);
    assert_eq!(timed_out.join().unwrap(), Value::Nil);
}

/// XREADGROUP BLOCK gets what XADD adds and leaves it pending; a blocked group reader fails
/// when its group is destroyed or its key deleted, with Redis's errors.
#[test]
fn a_blocked_xreadgroup_is_served_and_fails_when_its_group_goes() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let args = vec![
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let reader = spawn_read(node.port, args.clone());
    wait_for_blocked_clients(&mut con, 1);
    let _: String = q(&mut con, &["XADD", "s", "5-1", "f", "v"]);
    let expected = Value::Array(vec![Value::Array(vec![
        bulk("s"),
        Value::Array(vec![entry("5-1", &["f", "v"])]),
    ])]);
    assert_eq!(reader.join().unwrap(), expected);
    let pending: Value = q(&mut con, &["XPENDING", "s", "g"]);
    assert_eq!(
        pending,
        Value::Array(vec![
            Value::Int(1),
            bulk("5-1"),
            bulk("5-1"),
            Value::Array(vec![Value::Array(vec![bulk("c"), bulk("1")])]),
        ])
    );
    let failing = |args: Vec<&'static str>, then: &[&str], expected: &str| {
        let port = node.port;
        let reader = thread::spawn(move || {
            let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
            let mut con = client.get_connection().unwrap();
            crate::support::err(&mut con, &args)
        });
        let mut con = connect(&node);
        wait_for_blocked_clients(&mut con, 1);
        let _: Value = q(&mut con, then);
        assert_eq!(reader.join().unwrap(), expected);
    };
    failing(
        args.clone(),
        &["XGROUP", "DESTROY", "s", "g"],
        "NOGROUP the consumer group this client was blocked on no longer exists",
    );
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "g", "$"]);
    failing(
        args,
        &["DEL", "s"],
        "UNBLOCKED the stream key no longer exists",
    );
}

/// A group with consumers, pending entries and deletions reaches a replica by full sync
/// (the snapshot's XADD/XSETID/XGROUP/XCLAIM form) and by the stream (XREADGROUP's
/// XCLAIMs); the digests match and the replica answers the same XINFO and XPENDING.
#[test]
fn streams_and_their_groups_replicate_by_full_sync_and_by_the_stream() {
    let group = Group::new("streams");
    let primary = group.node("p", None, &[]);
    let mut con = connect(&primary);
    for i in 1..=20 {
        let _: String = q(
            &mut con,
            &["XADD", "s", &format!("{i}-1"), "n", &i.to_string()],
        );
    }
    let _: String = q(&mut con, &["XADD", "auto", "*", "f", "v"]);
    let _: String = q(
        &mut con,
        &["XADD", "auto", "MAXLEN", "~", "1", "*", "f", "v"],
    );
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "g", "0"]);
    let _: () = q(&mut con, &["XGROUP", "CREATE", "s", "late", "$"]);
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "5",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: i64 = q(&mut con, &["XACK", "s", "g", "2-1"]);
    let _: i64 = q(&mut con, &["XDEL", "s", "10-1"]);
    let _: i64 = q(&mut con, &["XGROUP", "CREATECONSUMER", "s", "g", "idle"]);
    let _: () = q(
        &mut con,
        &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"],
    );
    let replica = group.node("r", Some("p"), &[]);
    let mut reader = connect(&replica);
    assert_eventually!(converged(&primary, &[&replica]));
    // After the full sync: the stream of records.
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "4",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: Value = q(&mut con, &["XCLAIM", "s", "g", "d", "0", "1-1", "3-1"]);
    let _: Value = q(
        &mut con,
        &["XAUTOCLAIM", "s", "g", "e", "0", "0", "COUNT", "2"],
    );
    let _: Value = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "f",
            "NOACK",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: i64 = q(&mut con, &["XTRIM", "s", "MAXLEN", "~", "5"]);
    assert_eventually!(converged(&primary, &[&replica]));
    for args in [
        &["XINFO", "GROUPS", "s"][..],
        &["XPENDING", "s", "g"],
        &["XRANGE", "s", "-", "+"],
        &["XRANGE", "auto", "-", "+"],
        &["XINFO", "GROUPS", "empty"],
    ] {
        let on_primary: Value = q(&mut con, args);
        let on_replica: Value = q(&mut reader, args);
        assert_eq!(on_replica, on_primary, "{args:?}");
    }
    let consumers: Value = q(&mut reader, &["XINFO", "CONSUMERS", "s", "g"]);
    let names = format!("{consumers:?}");
    for name in ["\"a\"", "\"b\"", "\"idle\"", "\"f\""] {
        assert!(
            names.contains(&name.replace('"', "")),
            "{name} on the replica: {names}"
        );
    }
}

/// Through the router: XADD and XREADGROUP go to the primary, XRANGE may be read from a
/// replica, and XREAD BLOCK waits on its own pinned connection.
#[test]
fn streams_work_through_the_router() {
    let (_group, router) = crate::router::group_with_router(&[]);
    let mut con = router.connect(router.smart);
    let _: String = q(&mut con, &["XADD", "rs", "1-1", "f", "v"]);
    let _: () = q(&mut con, &["XGROUP", "CREATE", "rs", "g", "0"]);
    let read: Value = q(
        &mut con,
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rs", ">"],
    );
    assert_eq!(
        read,
        Value::Array(vec![Value::Array(vec![
            bulk("rs"),
            Value::Array(vec![entry("1-1", &["f", "v"])]),
        ])])
    );
    assert_eventually!(
        q::<Value>(&mut con, &["XRANGE", "rs", "-", "+"])
            == Value::Array(vec![entry("1-1", &["f", "v"])])
    );
    let port = router.smart;
    let blocked = thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
        let mut con = client.get_connection().unwrap();
        crate::support::command(&["XREAD", "BLOCK", "10000", "STREAMS", "rs", "$"])
            .query::<Value>(&mut con)
            .unwrap()
    });
    thread::sleep(Duration::from_millis(500));
    let _: String = q(&mut con, &["XADD", "rs", "2-1", "g", "w"]);
    let expected = Value::Array(vec![Value::Array(vec![
        bulk("rs"),
        Value::Array(vec![entry("2-1", &["g", "w"])]),
    ])]);
    assert_eq!(blocked.join().unwrap(), expected);
}

/// RESP3: XREAD and XREADGROUP answer maps of key to entries, XINFO maps; compared as
/// redis-cli -3 prints them (with the masked fields left out of the commands).
#[test]
fn resp3_replies_are_the_same_maps_as_redis_sends() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let cli = |port: u16, line: &str| {
        let out = std::process::Command::new("redis-cli")
            .args(["-3", "-p", &port.to_string()])
            .args(line.split(' '))
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let lines = [
        "XADD s 1-1 a 1 b 2",
        "XADD s 2-1 c 3",
        "XADD t 1-1 x y",
        "XREAD STREAMS s t 0 0",
        "XREAD COUNT 1 STREAMS s 0",
        "XREAD STREAMS s $",
        "XGROUP CREATE s g 0",
        "XREADGROUP GROUP g c COUNT 1 STREAMS s >",
        "XREADGROUP GROUP g c STREAMS s 0",
        "XINFO GROUPS s",
        "XINFO STREAM s",
        "XPENDING s g",
        "XRANGE s - +",
        "XAUTOCLAIM s g d 0 0 JUSTID",
        "XINFO STREAM nosuch",
    ];
    for line in lines {
        assert_eq!(
            cli(node.port, line),
            cli(reference.port, line),
            "{line} in RESP3"
        );
    }
}

/// Command shapes for the random differential run; `K` a key, `I` an ID, `N` a number,
/// `G` a group, `C` a consumer. No `*` IDs and no idle thresholds: those follow each
/// server's clock.
const RANDOM_TEMPLATES: &[&str] = &[
    "XADD K I f N",
    "XADD K I f N g N",
    "XADD K N-* f N",
    "XADD K MAXLEN ~ N I f N",
    "XADD K MAXLEN N I f N",
    "XADD K MINID ~ I I f N",
    "XADD K NOMKSTREAM MINID I I f N",
    "XDEL K I I",
    "XTRIM K MAXLEN ~ N",
    "XTRIM K MAXLEN N",
    "XTRIM K MINID I",
    "XTRIM K MINID ~ I LIMIT N",
    "XRANGE K - +",
    "XRANGE K I + COUNT N",
    "XREVRANGE K + (I COUNT N",
    "XLEN K",
    "XSETID K I",
    "XSETID K I ENTRIESADDED N",
    "XGROUP CREATE K G $ MKSTREAM",
    "XGROUP CREATE K G I",
    "XGROUP CREATE K G I ENTRIESREAD N",
    "XGROUP SETID K G I",
    "XGROUP SETID K G $ ENTRIESREAD N",
    "XGROUP DESTROY K G",
    "XGROUP CREATECONSUMER K G C",
    "XGROUP DELCONSUMER K G C",
    "XREADGROUP GROUP G C COUNT N STREAMS K >",
    "XREADGROUP GROUP G C STREAMS K >",
    "XREADGROUP GROUP G C NOACK COUNT N STREAMS K >",
    "XREADGROUP GROUP G C STREAMS K I",
    "XREAD COUNT N STREAMS K K I I",
    "XACK K G I I",
    "XCLAIM K G C 0 I I",
    "XCLAIM K G C 0 I JUSTID",
    "XCLAIM K G C 0 I FORCE RETRYCOUNT N",
    "XCLAIM K G C 0 I FORCE JUSTID LASTID I",
    "XAUTOCLAIM K G C 0 I COUNT N",
    "XAUTOCLAIM K G C 0 0 COUNT N JUSTID",
    "XPENDING K G",
    "XPENDING K G - + N",
    "XPENDING K G I + N C",
    "XINFO GROUPS K",
    "XINFO STREAM K",
    "XINFO STREAM K FULL COUNT N",
    "XINFO CONSUMERS K G",
    "DEL K",
];

#[test]
fn random_stream_commands_answer_as_redis_does() {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    let seed = std::env::var("STREAM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    let mut rng = SmallRng::seed_from_u64(seed);
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    // Bigger values (STREAM_IDS=2000 STREAM_N=300) exercise node boundaries.
    let (ids, numbers) = (env("STREAM_IDS", 40), env("STREAM_N", 12));
    let mut lines = Vec::new();
    for _ in 0..3000 {
        let template = RANDOM_TEMPLATES[rng.gen_range(0..RANDOM_TEMPLATES.len())];
        let words: Vec<String> = template
            .split(' ')
            .map(|word| match word {
                "K" => format!("k{}", rng.gen_range(0..3)),
                "I" => format!("{}-{}", rng.gen_range(0..ids), rng.gen_range(0..3)),
                "N" => rng.gen_range(0..numbers).to_string(),
                "N-*" => format!("{}-*", rng.gen_range(0..ids)),
                "G" => format!("g{}", rng.gen_range(0..2)),
                "C" => format!("c{}", rng.gen_range(0..3)),
                other => other.to_string(),
            })
            .collect();
        lines.push(words.join(" "));
    }
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    run_cases(&lines);
}
