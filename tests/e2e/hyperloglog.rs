//! HyperLogLog with a real client: https://redis.io/commands/?group=hyperloglog. The values
//! are Redis's own strings: compared byte for byte with redis-server 7.0.15 after the same
//! commands, carried from one server to the other, and replicated unchanged.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use redis::Connection;
use rg_testkit::{assert_eventually, NatsServer, Node};

use crate::reference::{raw, same, Answer, RedisServer};
use crate::support::{connect, err, q};

const KEYS: [&str; 4] = ["h1", "h2", "h3", "h4"];

fn pfadd(con: &mut Connection, key: &str, elements: &[String]) -> i64 {
    let mut cmd = redis::cmd("PFADD");
    cmd.arg(key).arg(elements);
    cmd.query(con)
        .unwrap_or_else(|e| panic!("PFADD {key}: {e}"))
}

fn elements(rng: &mut SmallRng, range: u32) -> Vec<String> {
    let n = [1, 5, 50, 400][rng.gen_range(0..4)];
    (0..n)
        .map(|_| format!("e{}", rng.gen_range(0..range)))
        .collect()
}

/// Random PFADDs (some big enough to turn a key dense), merges, counts and PFDEBUGs to both
/// servers: the same replies, and the same bytes in every key after every command.
#[test]
fn random_commands_leave_the_bytes_redis_leaves() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    let mut rng = SmallRng::seed_from_u64(11);
    let mut dense_seen = false;
    for step in 0..300 {
        let key = KEYS[rng.gen_range(0..KEYS.len())];
        let other = KEYS[rng.gen_range(0..KEYS.len())];
        let command: Vec<String> = match rng.gen_range(0..10) {
            0..=3 => {
                let mut words = vec!["PFADD".to_string(), key.to_string()];
                words.extend(elements(&mut rng, 50_000));
                words
            }
            4 | 5 => vec!["PFCOUNT".into(), key.into()],
            6 => vec!["PFCOUNT".into(), key.into(), other.into(), "missing".into()],
            7 => vec!["PFMERGE".into(), key.into(), other.into()],
            _ => {
                let sub = ["ENCODING", "DECODE", "TODENSE", "GETREG"][rng.gen_range(0..4)];
                vec!["PFDEBUG".into(), sub.into(), key.into()]
            }
        };
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let answer = same(&mut redis, &mut rg, &args);
        dense_seen |= answer == Answer::Value(redis::Value::SimpleString("dense".into()));
        for key in KEYS {
            assert!(
                raw(&mut rg, key) == raw(&mut redis, key),
                "step {step}: the bytes of {key} differ after {:?}",
                &args[..args.len().min(4)]
            );
        }
    }
    assert!(dense_seen, "some key turned dense");
}

/// A HyperLogLog made by redis-server, SET on rg-node, counts and grows the same there.
#[test]
fn a_value_from_redis_server_works_here() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    let mut rng = SmallRng::seed_from_u64(3);
    for (key, n) in [("sparse", 30), ("dense", 5000)] {
        let added: Vec<String> = (0..n).map(|i| format!("{key}{i}")).collect();
        assert_eq!(pfadd(&mut redis, key, &added), 1);
        let bytes = raw(&mut redis, key).expect("the key exists");
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(&bytes[..])
            .query(&mut rg)
            .expect("SET of the raw bytes");
        same(&mut redis, &mut rg, &["PFCOUNT", key]);
        same(&mut redis, &mut rg, &["PFDEBUG", "ENCODING", key]);
        let more = elements(&mut rng, 1_000_000);
        assert_eq!(pfadd(&mut rg, key, &more), pfadd(&mut redis, key, &more));
        assert!(
            raw(&mut rg, key) == raw(&mut redis, key),
            "{key} grew alike"
        );
    }
    same(&mut redis, &mut rg, &["PFCOUNT", "sparse", "dense"]);
}

#[test]
fn strings_that_are_not_hyperloglogs_get_redis_s_errors() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "s", "plain"]);
    assert_eq!(
        err(&mut con, &["PFADD", "s", "a"]),
        "WRONGTYPE Key is not a valid HyperLogLog string value."
    );
    let corrupt = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x40\x63";
    let _: () = redis::cmd("SET")
        .arg("c")
        .arg(&corrupt[..])
        .query(&mut con)
        .expect("SET");
    assert_eq!(
        err(&mut con, &["PFCOUNT", "c"]),
        "INVALIDOBJ Corrupted HLL object detected"
    );
    assert_eq!(q::<String>(&mut con, &["PFSELFTEST"]), "OK");
}

/// A replica ends with the primary's bytes, though PFCOUNT rewrites the cached count on the
/// primary and clients also send PFCOUNT to the replica.
#[test]
fn a_replica_holds_the_primarys_bytes() {
    let nats = NatsServer::start();
    let url = nats.url();
    let base = ["--nats-url", url.as_str(), "--group", "hll"];
    let primary = Node::start(&[&base[..], &["--node-id", "n1"]].concat());
    let replica = Node::start(&[&base[..], &["--node-id", "n2", "--replicaof", "n1"]].concat());
    let (mut p, mut r) = (connect(&primary), connect(&replica));
    let many: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
    pfadd(&mut p, "dense", &many);
    pfadd(&mut p, "sparse", &many[..20]);
    let _: () = q(&mut p, &["PFMERGE", "merged", "sparse", "dense"]);
    let _: i64 = q(&mut p, &["SETBIT", "bits", "100", "1"]);
    let _: Vec<i64> = q(&mut p, &["BITFIELD", "bits", "INCRBY", "i12", "#3", "-70"]);
    let _: i64 = q(&mut p, &["BITOP", "NOT", "notbits", "bits"]);
    assert_eventually!(raw(&mut r, "notbits").is_some());
    let counted: i64 = q(&mut r, &["PFCOUNT", "sparse"]);
    assert_eq!(counted, 20);
    let _: i64 = q(&mut p, &["PFCOUNT", "dense"]);
    let _: i64 = q(&mut p, &["PFCOUNT", "merged"]);
    let _: () = q(&mut p, &["SET", "marker", "1"]);
    assert_eventually!(raw(&mut r, "marker").is_some());
    for key in ["dense", "sparse", "merged", "bits", "notbits"] {
        assert!(
            raw(&mut r, key) == raw(&mut p, key),
            "the replica's {key} differs"
        );
    }
    let digest = |con: &mut Connection| q::<String>(con, &["DEBUG", "DIGEST"]);
    assert_eq!(digest(&mut r), digest(&mut p));
}
