//! Bitmaps with a real client: https://redis.io/commands/?group=bitmap, and the same random
//! commands against redis-server 7.0.15, whose replies and bytes rg-node must match.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use redis::Value;
use rg_testkit::Node;

use crate::reference::{raw, same, Answer, RedisServer};
use crate::support::{connect, err, q};

#[test]
fn setbit_getbit_and_bitcount_over_a_growing_string() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "b", "7", "1"]), 0);
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "b", "1000", "1"]), 0);
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "b"]), 126);
    assert_eq!(q::<i64>(&mut con, &["GETBIT", "b", "1000"]), 1);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "b"]), 2);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "b", "0", "7", "BIT"]), 1);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "b", "1", "1"]), 1000);
    assert_eq!(
        err(&mut con, &["SETBIT", "b", "4294967296", "1"]),
        "ERR bit offset is not an integer or out of range"
    );
}

#[test]
fn bitfield_counters_saturate_and_bitfield_ro_reads() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let args = [
        "BITFIELD", "c", "OVERFLOW", "SAT", "INCRBY", "u4", "#2", "20",
    ];
    assert_eq!(q::<Vec<i64>>(&mut con, &args), [15]);
    assert_eq!(
        q::<Vec<i64>>(&mut con, &["BITFIELD_RO", "c", "GET", "u4", "8"]),
        [15]
    );
    let fail = [
        "BITFIELD", "c", "OVERFLOW", "FAIL", "INCRBY", "u4", "8", "1",
    ];
    assert_eq!(q::<Value>(&mut con, &fail), Value::Array(vec![Value::Nil]));
}

/// Random bitmap commands on a few keys, to both servers: every reply and every value equal.
#[test]
fn random_bitmap_commands_answer_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    let mut rng = SmallRng::seed_from_u64(7);
    let mut answered = 0;
    for step in 0..1500 {
        let command = random_command(&mut rng);
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        if let Answer::Value(_) = same(&mut redis, &mut rg, &args) {
            answered += 1;
        }
        let key = args[if args[0] == "BITOP" { 2 } else { 1 }];
        assert_eq!(
            raw(&mut rg, key),
            raw(&mut redis, key),
            "step {step}: the bytes of {key} after {args:?}"
        );
    }
    assert!(answered > 1000, "only {answered} commands succeeded");
}

fn random_command(rng: &mut SmallRng) -> Vec<String> {
    let key = ["a", "b", "c", "d"][rng.gen_range(0..4)].to_string();
    let index = |rng: &mut SmallRng| rng.gen_range(-40..40).to_string();
    let words: Vec<String> = match rng.gen_range(0..8) {
        0 => vec![
            "SETBIT".into(),
            key,
            rng.gen_range(0..200).to_string(),
            rng.gen_range(0..2).to_string(),
        ],
        1 => vec!["GETBIT".into(), key, rng.gen_range(0..300).to_string()],
        2 => {
            let mut words = vec!["BITCOUNT".into(), key, index(rng), index(rng)];
            words.extend(
                ["BIT", "BYTE"]
                    .get(rng.gen_range(0..3))
                    .map(|u| u.to_string()),
            );
            words
        }
        3 => {
            let mut words = vec!["BITPOS".into(), key, rng.gen_range(0..2).to_string()];
            let extra = rng.gen_range(0..4);
            words.extend((0..extra.min(2)).map(|_| index(rng)));
            if extra == 3 {
                words.push(["BIT", "BYTE"][rng.gen_range(0..2)].into());
            }
            words
        }
        4 => {
            let op = ["AND", "OR", "XOR", "NOT"][rng.gen_range(0..4)];
            let mut words = vec!["BITOP".into(), op.into(), key, "a".into()];
            if op != "NOT" {
                words.push("b".into());
            }
            words
        }
        5 | 6 => bitfield(rng, key),
        _ => vec![
            "SETRANGE".into(),
            key,
            rng.gen_range(0..20).to_string(),
            "xyz".into(),
        ],
    };
    words
}

fn bitfield(rng: &mut SmallRng, key: String) -> Vec<String> {
    let mut words = vec!["BITFIELD".into(), key];
    for _ in 0..rng.gen_range(1..4) {
        let ty = match rng.gen_bool(0.5) {
            true => format!("i{}", rng.gen_range(1..=64)),
            false => format!("u{}", rng.gen_range(1..=63)),
        };
        let offset = match rng.gen_bool(0.3) {
            true => format!("#{}", rng.gen_range(0..4)),
            false => rng.gen_range(0..100).to_string(),
        };
        let value = [rng.gen_range(-300i64..300), i64::MAX, i64::MIN, rng.gen()]
            [rng.gen_range(0..4)]
        .to_string();
        match rng.gen_range(0..4) {
            0 => words.extend(["GET".into(), ty, offset]),
            1 => words.extend(["SET".into(), ty, offset, value]),
            2 => words.extend(["INCRBY".into(), ty, offset, value]),
            _ => words.extend([
                "OVERFLOW".into(),
                ["WRAP", "SAT", "FAIL"][rng.gen_range(0..3)].into(),
            ]),
        }
    }
    words
}
