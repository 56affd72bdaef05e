//! Streams (https://redis.io/commands/?group=stream) against redis-server 7.0.15: the same
//! commands to both, the same replies (errors by their full line). Times (idle, seen-time,
//! delivery times) and XINFO's `radix-tree-nodes` are masked, being clocks and allocator
//! facts rather than behaviour.

use redis::Value;
use rg_testkit::Node;

use crate::reference::{answer, Answer, RedisServer};
use crate::support::connect;

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
pub(crate) fn run_cases(cases: &[&str]) -> usize {
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
    "COMMAND GETKEYS XREAD COUNT 2 BLOCK 0 STREAMS a b 0 0",
    "COMMAND GETKEYS XREADGROUP GROUP STREAMS c NOACK STREAMS s >",
    "COMMAND GETKEYS XADD s * f v",
    "COMMAND GETKEYS XGROUP CREATE s g $",
    "COMMAND GETKEYS XINFO STREAM s",
    "XGROUP CREATE k",
    "XINFO STREAM",
];

/// Streams are keys like the others: TYPE, OBJECT ENCODING, SCAN TYPE, COPY, RENAME, MOVE,
/// expiry; an emptied stream stays; blocking reads inside MULTI answer at once.
#[test]
fn streams_behave_as_keys_and_inside_transactions_as_redis_does() {
    run_cases(KEYSPACE);
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
