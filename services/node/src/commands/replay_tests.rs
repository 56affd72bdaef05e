//! The replication records are complete and deterministic: replaying what one node recorded
//! on a second, empty node gives the same dataset (the same DEBUG DIGEST), whatever mix of
//! random writes, errors, expiries and random commands produced them.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::commands::testing::TestNode;
use crate::engine::reply::Reply;

/// Command shapes; `K` is replaced by a random key, `N` by a small number, `M` by a member.
const TEMPLATES: &[&str] = &[
    "SET K M",
    "SET K N EX N",
    "SET K M PX N KEEPTTL",
    "SET K M NX GET",
    "SETEX K N M",
    "GETSET K M",
    "GETDEL K",
    "GETEX K PX N",
    "GETEX K PERSIST",
    "MSET K M K N",
    "INCR K",
    "DECRBY K N",
    "INCRBYFLOAT K 0.1",
    "APPEND K M",
    "SETRANGE K N M",
    "DEL K K",
    "EXPIRE K N",
    "PEXPIRE K N GT",
    "EXPIREAT K N",
    "PERSIST K",
    "RENAME K K",
    "COPY K K",
    "HSET K M N M N",
    "HDEL K M",
    "HINCRBY K M N",
    "HINCRBYFLOAT K M 1.5",
    "HSETNX K M N",
    "LPUSH K M M",
    "RPUSH K N",
    "LPOP K",
    "RPOP K N",
    "LSET K 0 M",
    "LREM K 0 M",
    "LTRIM K 0 N",
    "LINSERT K BEFORE M N",
    "LMOVE K K LEFT RIGHT",
    "RPOPLPUSH K K",
    "BLPOP K 0.01",
    "LMPOP 2 K K LEFT COUNT N",
    "BLMPOP 0.01 2 K K RIGHT",
    "BRPOPLPUSH K K 0.01",
    "SADD K M M N",
    "SREM K M",
    "SPOP K",
    "SPOP K N",
    "SMOVE K K M",
    "SINTERSTORE K K K",
    "SUNIONSTORE K K K",
    "SDIFFSTORE K K K",
    "ZADD K N M N M",
    "ZADD K INCR N M",
    "ZADD K GT CH N M",
    "ZINCRBY K N M",
    "ZREM K M",
    "ZPOPMIN K N",
    "ZPOPMAX K",
    "ZREMRANGEBYRANK K 0 N",
    "ZREMRANGEBYSCORE K 0 N",
    "ZRANGESTORE K K 0 -1",
    "ZUNIONSTORE K 2 K K WEIGHTS 2 3",
    "ZINTERSTORE K 2 K K AGGREGATE MAX",
    "SETBIT K N 1",
    "SETBIT K N 0",
    "BITOP OR K K K",
    "BITOP NOT K K",
    "BITFIELD K INCRBY u8 N N SET i5 N -3",
    "BITFIELD K OVERFLOW FAIL INCRBY u4 0 N GET u8 0",
    "PFADD K M N",
    "PFCOUNT K",
    "PFCOUNT K K",
    "PFMERGE K K K",
    "PFDEBUG TODENSE K",
    "ZDIFFSTORE K 2 K K",
    "GEOADD K N N M N 1.5 M",
    "GEOADD K XX CH 1 N M",
    "GEORADIUS K N N 500 km STORE K",
    "GEORADIUS K N N 900 km STOREDIST K COUNT 2",
    "GEORADIUSBYMEMBER K M 800 km STORE K",
    "GEOSEARCHSTORE K K FROMLONLAT N N BYBOX 2000 2000 km STOREDIST",
    "ZMPOP 2 K K MAX COUNT N",
    "BZPOPMIN K K 0.01",
    "BZMPOP 0.01 1 K MIN COUNT N",
    "MOVE K 1",
    "SORT K ALPHA DESC LIMIT 0 N STORE K",
    "SORT K BY nosort STORE K",
    "SORT K BY K GET # STORE K",
    "SWAPDB 0 1",
    "SELECT 1",
    "SELECT 0",
    "FLUSHDB",
    "MULTI",
    "EXEC",
    "DISCARD",
];

fn random_command(rng: &mut SmallRng) -> Vec<String> {
    let template = TEMPLATES[rng.gen_range(0..TEMPLATES.len())];
    template
        .split(' ')
        .map(|word| match word {
            "K" => format!("k{}", rng.gen_range(0..6)),
            "N" => rng.gen_range(1..20).to_string(),
            "M" => format!("m{}", rng.gen_range(0..5)),
            other => other.to_string(),
        })
        .collect()
}

fn digest(node: &mut TestNode) -> Reply {
    node.run(&["DEBUG", "DIGEST"])
}

#[test]
fn replaying_the_records_rebuilds_the_same_dataset() {
    let (mut replayed, mut non_empty_ends) = (0, 0);
    for seed in 0..20 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut primary = TestNode::new();
        let mut replica = TestNode::new();
        for step in 0..400 {
            primary.now += rng.gen_range(0..400);
            replica.now = primary.now;
            let command = random_command(&mut rng);
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            let _ = primary.response(&args);
            match replica.replay_from(&mut primary) {
                Ok(count) => replayed += count,
                Err(refused) => panic!("seed {seed} step {step}: {refused}"),
            }
            if primary.session.transaction.is_none() {
                assert_eq!(
                    digest(&mut primary),
                    digest(&mut replica),
                    "seed {seed} step {step}: datasets diverged after {command:?}"
                );
            }
        }
        let empty = Reply::Status("0".repeat(40));
        if digest(&mut primary) != empty {
            non_empty_ends += 1;
        }
    }
    // The run must have exercised something: many records, and data left at the end.
    assert!(replayed > 2000, "only {replayed} records were replayed");
    assert!(
        non_empty_ends > 10,
        "only {non_empty_ends} runs ended with data"
    );
}
