//! Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS/SHARDNUMSUB) on
//! a node without a cluster, as Redis 7.0 answers it: byte-identical replies in RESP2 and
//! RESP3, shard channels apart from ordinary ones; then through the router.

use rg_testkit::Node;

use crate::raw_diff::{exchange, same_bytes, same_bytes_all};
use crate::reference::RedisServer;
use crate::router::group_with_router;
use crate::support::{q, Raw};

fn resp3(con: &mut Raw) {
    exchange(con, &["HELLO", "3"]);
}

const SESSION: &[&[&str]] = &[
    &["SSUBSCRIBE", "a"],
    &["SSUBSCRIBE", "a"],
    &["SUBSCRIBE", "c"],
    &["PSUBSCRIBE", "d*"],
    &["SSUBSCRIBE", "b"],
    &["GET", "x"],
    &["SUNSUBSCRIBE", "b"],
    &["SUNSUBSCRIBE", "nope"],
    &["SUNSUBSCRIBE", "a"],
    &["SUNSUBSCRIBE"],
    &["UNSUBSCRIBE", "c"],
    &["PUNSUBSCRIBE", "d*"],
    &["GET", "x"],
    &["SSUBSCRIBE", "z"],
    &["RESET"],
    &["GET", "x"],
];

const QUERIES: &[&[&str]] = &[
    &["PUBSUB", "SHARDNUMSUB", "a", "b", "ordinary"],
    &["PUBSUB", "SHARDNUMSUB"],
    &["PUBSUB", "NUMSUB", "a", "ordinary"],
    &["PUBSUB", "SHARDCHANNELS"],
    &["PUBSUB", "SHARDCHANNELS", "a*"],
    &["PUBSUB", "SHARDCHANNELS", "x*"],
    &["PUBSUB", "SHARDCHANNELS", "a", "b"],
    &["PUBSUB", "CHANNELS", "a", "b"],
    &["PUBSUB", "CHANNELS"],
    &["PUBSUB", "NUMPAT", "x"],
    &["PUBSUB", "HELP"],
    &["PUBSUB", "HELP", "x"],
    &["PUBSUB", "NOPE"],
    &["SPUBLISH", "nobody", "m"],
    &["SPUBLISH", "a"],
];

#[test]
fn shard_subscriptions_answer_the_bytes_redis_does() {
    for protocol3 in [false, true] {
        let reference = RedisServer::start();
        let node = Node::start(&[]);
        let (mut redis, mut rg) = (Raw::to_port(reference.port), Raw::connect(&node));
        if protocol3 {
            resp3(&mut redis);
            resp3(&mut rg);
        }
        for args in SESSION {
            same_bytes(&mut redis, &mut rg, args);
        }
        // A subscriber elsewhere on `a`, and an ordinary subscriber of `ordinary`.
        let (mut sub_redis, mut sub_rg) = (Raw::to_port(reference.port), Raw::connect(&node));
        same_bytes(&mut sub_redis, &mut sub_rg, &["SSUBSCRIBE", "a"]);
        let (mut plain_redis, mut plain_rg) = (Raw::to_port(reference.port), Raw::connect(&node));
        same_bytes(&mut plain_redis, &mut plain_rg, &["SUBSCRIBE", "ordinary"]);
        for args in QUERIES {
            same_bytes(&mut redis, &mut rg, args);
        }
        let multi: &[&[&str]] = &[&["MULTI"], &["SSUBSCRIBE", "a"], &["EXEC"]];
        same_bytes_all(&mut redis, &mut rg, multi);
        // SPUBLISH reaches shard subscribers only; PUBLISH never reaches them.
        assert_eq!(
            same_bytes(&mut redis, &mut rg, &["SPUBLISH", "a", "hi"]),
            ":1\r\n"
        );
        assert_eq!(
            same_bytes(&mut redis, &mut rg, &["PUBLISH", "a", "no"]),
            ":0\r\n"
        );
        assert_eq!(
            same_bytes(&mut redis, &mut rg, &["SPUBLISH", "ordinary", "no"]),
            ":0\r\n"
        );
        let message = b"*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$2\r\nhi\r\n";
        for sub in [&mut sub_redis, &mut sub_rg] {
            assert_eq!(sub.read_exactly(message), String::from_utf8_lossy(message));
        }
        let list = |con: &mut Raw| exchange(con, &["CLIENT", "LIST"]);
        assert!(list(&mut redis).contains("ssub=0"));
        assert!(list(&mut rg).contains("ssub=0"));
    }
}

/// RESP3 subscribers get `smessage` as a push, and may run any command meanwhile.
#[test]
fn a_resp3_shard_subscriber_gets_pushes() {
    let node = Node::start(&[]);
    let mut sub = Raw::connect(&node);
    resp3(&mut sub);
    assert_eq!(
        exchange(&mut sub, &["SSUBSCRIBE", "s"]),
        ">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"
    );
    assert_eq!(exchange(&mut sub, &["SET", "k", "v"]), "+OK\r\n");
    let mut publisher = Raw::connect(&node);
    assert_eq!(exchange(&mut publisher, &["SPUBLISH", "s", "m"]), ":1\r\n");
    let push = b">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n";
    assert_eq!(sub.read_exactly(push), String::from_utf8_lossy(push));
}

/// Through the router: SSUBSCRIBE moves the client to a subscription connection, as
/// SUBSCRIBE does, and SPUBLISH goes to the primary.
#[test]
fn shard_pub_sub_works_through_the_router() {
    let (_group, router) = group_with_router(&[]);
    let mut publisher = router.connect(router.smart);
    for protocol3 in [false, true] {
        let mut raw = Raw::to_port(router.smart);
        if protocol3 {
            raw.send(b"HELLO 3\r\n");
            raw.read_until_suffix(b"$7\r\nmodules\r\n*0\r\n");
        }
        let head = if protocol3 { ">" } else { "*" };
        let confirm = format!("{head}3\r\n$10\r\nssubscribe\r\n$2\r\nsc\r\n:1\r\n");
        raw.roundtrip(b"SSUBSCRIBE sc\r\n", confirm.as_bytes());
        assert_eq!(q::<i64>(&mut publisher, &["SPUBLISH", "sc", "hi"]), 1);
        let message = format!("{head}3\r\n$8\r\nsmessage\r\n$2\r\nsc\r\n$2\r\nhi\r\n");
        assert_eq!(raw.read_exactly(message.as_bytes()), message);
        let (_, count): (String, i64) = q(&mut publisher, &["PUBSUB", "SHARDNUMSUB", "sc"]);
        assert_eq!(count, 1);
        let leave = format!("{head}3\r\n$12\r\nsunsubscribe\r\n$2\r\nsc\r\n:0\r\n");
        raw.roundtrip(b"SUNSUBSCRIBE sc\r\n", leave.as_bytes());
    }
}
