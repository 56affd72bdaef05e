//! Keyspace notifications (https://redis.io/docs/manual/keyspace-notifications/): the same
//! writes to rg-node and to redis-server 7.0.15, each watched by a subscriber to
//! `__key*__:*`; the event sequences must be equal, message for message.

use std::time::Duration;

use redis::{Connection, PubSub};
use rg_testkit::{assert_eventually, Node};

use crate::reference::{same, RedisServer};
use crate::replication::Group;
use crate::support::{connect, err, q};

/// Writes of every family, including ones that change nothing (no event) and ones that
/// empty a container (its "del" after the command's own event).
const WRITES: &[&[&str]] = &[
    &["SET", "s", "1"],
    &["SET", "s", "2", "EX", "100"],
    &["SET", "s", "3", "KEEPTTL"],
    &["SETNX", "s", "x"],
    &["SETNX", "s2", "x"],
    &["SETEX", "s3", "10", "v"],
    &["PSETEX", "s4", "10000", "v"],
    &["GETSET", "s", "4"],
    &["MSET", "m1", "a", "m2", "b"],
    &["MSETNX", "m1", "a", "m3", "c"],
    &["MSETNX", "m4", "a", "m5", "c"],
    &["INCR", "n"],
    &["INCRBY", "n", "5"],
    &["DECR", "n"],
    &["DECRBY", "n", "2"],
    &["INCRBYFLOAT", "f", "1.5"],
    &["APPEND", "s", "xyz"],
    &["SETRANGE", "s", "1", "ab"],
    &["SETRANGE", "s", "1", ""],
    &["GETEX", "s", "EX", "100"],
    &["GETEX", "s", "PERSIST"],
    &["GETEX", "s2", "PXAT", "1"],
    &["GETDEL", "m1"],
    &["GETDEL", "nothing"],
    &["SETBIT", "b", "7", "1"],
    &["SETBIT", "b", "7", "1"],
    &["BITFIELD", "b", "SET", "u8", "8", "255"],
    &["BITOP", "OR", "bo", "b", "s"],
    &["BITOP", "AND", "bo", "missing"],
    &["PFADD", "h", "a", "b"],
    &["PFADD", "h", "a"],
    &["PFMERGE", "h2", "h"],
    &["EXPIRE", "m2", "100"],
    &["PEXPIRE", "m2", "100000", "XX"],
    &["EXPIREAT", "m2", "1"],
    &["PEXPIREAT", "m3", "99999999999999"],
    &["PERSIST", "m3"],
    &["PERSIST", "m3"],
    &["DEL", "m3", "nothing", "n"],
    &["RENAME", "f", "f2"],
    &["RENAMENX", "f2", "s"],
    &["RENAMENX", "f2", "f3"],
    &["COPY", "f3", "f4"],
    &["COPY", "f3", "f4", "REPLACE"],
    &["COPY", "f3", "f5", "DB", "1"],
    &["MOVE", "f4", "2"],
    &["LPUSH", "l", "a", "b", "c"],
    &["RPUSH", "l", "d"],
    &["LPUSHX", "l", "e"],
    &["RPUSHX", "nolist", "e"],
    &["LINSERT", "l", "BEFORE", "a", "z"],
    &["LSET", "l", "0", "q"],
    &["LREM", "l", "1", "z"],
    &["LTRIM", "l", "0", "-1"],
    &["LPOP", "l"],
    &["RPOP", "l", "2"],
    &["LMOVE", "l", "l2", "LEFT", "RIGHT"],
    &["RPOPLPUSH", "l", "l2"],
    &["LMPOP", "1", "l2", "LEFT", "COUNT", "10"],
    &["RPUSH", "l3", "a", "b"],
    &["LTRIM", "l3", "5", "10"],
    &["HSET", "hs", "a", "1", "b", "2"],
    &["HSETNX", "hs", "a", "1"],
    &["HSETNX", "hs", "c", "3"],
    &["HINCRBY", "hs", "a", "2"],
    &["HINCRBYFLOAT", "hs", "a", "0.5"],
    &["HDEL", "hs", "a", "zz"],
    &["HDEL", "hs", "b", "c"],
    &["SADD", "st", "a", "b", "c"],
    &["SADD", "st", "a"],
    &["SREM", "st", "a"],
    &["SMOVE", "st", "st2", "b"],
    &["SMOVE", "st", "st2", "c"],
    &["SADD", "st3", "x"],
    &["SPOP", "st3"],
    &["SADD", "st3", "x"],
    &["SPOP", "st3", "5"],
    &["SADD", "st4", "x", "y"],
    &["SINTERSTORE", "st5", "st4", "st2"],
    &["SUNIONSTORE", "st5", "st4", "st2"],
    &["SDIFFSTORE", "st6", "st4", "st4"],
    &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
    &["ZADD", "z", "NX", "5", "a"],
    &["ZADD", "z", "INCR", "5", "a"],
    &["ZINCRBY", "z", "1", "b"],
    &["ZREM", "z", "c", "nope"],
    &["ZPOPMIN", "z"],
    &["ZADD", "z", "1", "x", "2", "y"],
    &["ZPOPMAX", "z", "2"],
    &["ZADD", "z2", "1", "a", "2", "b", "3", "c", "4", "d"],
    &["ZREMRANGEBYSCORE", "z2", "1", "1"],
    &["ZREMRANGEBYRANK", "z2", "0", "0"],
    &["ZREMRANGEBYLEX", "z2", "[c", "[c"],
    &["ZUNIONSTORE", "z3", "2", "z", "z2"],
    &["ZINTERSTORE", "z4", "2", "z", "z2"],
    &["ZDIFFSTORE", "z5", "1", "z2"],
    &["ZRANGESTORE", "z6", "z2", "0", "-1"],
    &["ZMPOP", "1", "z2", "MIN"],
    &["RPUSH", "srt", "3", "1", "2"],
    &["SORT", "srt", "STORE", "srt2"],
    &["SORT", "nothing", "STORE", "srt2"],
    &[
        "EVAL",
        "redis.call('SET', KEYS[1], 'v') redis.call('DEL', KEYS[1])",
        "1",
        "lua",
    ],
    &["FLUSHDB"],
];

/// A subscriber to every keyspace and keyevent channel, plus `done`, the marker that all
/// events of a run have arrived.
fn subscriber(con: &mut Connection) -> PubSub<'_> {
    let mut sub = con.as_pubsub();
    sub.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sub.psubscribe("__key*__:*").unwrap();
    sub.subscribe("done").unwrap();
    sub
}

/// The messages received up to the `done` marker, as `channel payload`.
fn events_until_done(sub: &mut PubSub) -> Vec<String> {
    let mut events = Vec::new();
    loop {
        let message = sub.get_message().expect("events arrive, then the marker");
        let channel = message.get_channel_name().to_string();
        if channel == "done" {
            return events;
        }
        let payload: String = message.get_payload().unwrap_or_default();
        events.push(format!("{channel} {payload}"));
    }
}

/// Runs `writes` on both servers (replies compared) and returns both event sequences.
pub(crate) fn both_events(flags: &str, writes: &[&[&str]]) -> (Vec<String>, Vec<String>) {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    let (mut redis_sub_con, mut rg_sub_con) = (reference.connect(), connect(&node));
    let (mut redis_sub, mut rg_sub) = (subscriber(&mut redis_sub_con), subscriber(&mut rg_sub_con));
    same(
        &mut redis,
        &mut rg,
        &["CONFIG", "SET", "notify-keyspace-events", flags],
    );
    for args in writes {
        same(&mut redis, &mut rg, args);
    }
    same(&mut redis, &mut rg, &["PUBLISH", "done", "."]);
    (
        events_until_done(&mut redis_sub),
        events_until_done(&mut rg_sub),
    )
}

#[test]
fn every_write_family_announces_what_redis_announces() {
    let (expected, got) = both_events("KEA", WRITES);
    assert!(expected.len() > 150, "only {} events", expected.len());
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        assert_eq!(g, e, "event {i} differs; redis sent {expected:#?}");
    }
    assert_eq!(got.len(), expected.len());
}

#[test]
fn the_new_class_announces_created_keys() {
    let writes: &[&[&str]] = &[
        &["SET", "a", "1"],
        &["SET", "a", "2"],
        &["LPUSH", "l", "x"],
        &["LPUSH", "l", "y"],
        &["RENAME", "a", "b"],
        &["HSET", "h", "f", "v"],
        &["SADD", "s", "m"],
        &["ZADD", "z", "1", "m"],
        &["INCR", "n"],
        &["COPY", "b", "c"],
    ];
    let (expected, got) = both_events("En", writes);
    assert_eq!(got, expected);
    assert!(
        expected.iter().any(|e| e.ends_with("new a")),
        "{expected:?}"
    );
}

#[test]
fn only_the_classes_asked_for_are_published() {
    let writes: &[&[&str]] = &[
        &["SET", "a", "1"],
        &["LPUSH", "l", "x"],
        &["DEL", "a"],
        &["SADD", "s", "m"],
        &["GET", "missing"],
        &["HGET", "nohash", "f"],
    ];
    for flags in ["Kl", "Eg$", "KEs", "Em", "Kx", ""] {
        let (expected, got) = both_events(flags, writes);
        assert_eq!(got, expected, "flags {flags:?}");
    }
}

/// Clients blocked on a key are served after the write that fed it: its event, then the
/// pop's (and the "del" of an emptied key), in Redis's order.
#[test]
fn serving_blocked_clients_announces_their_pops() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let mut sequences = Vec::new();
    for port in [reference.port, node.port] {
        let url = format!("redis://127.0.0.1:{port}");
        let client = redis::Client::open(url).unwrap();
        let (mut con, mut sub_con) = (
            client.get_connection().unwrap(),
            client.get_connection().unwrap(),
        );
        let mut sub = subscriber(&mut sub_con);
        q::<()>(
            &mut con,
            &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        );
        for (block, feed) in [
            (&["BLPOP", "l", "0"][..], &["RPUSH", "l", "a", "b"][..]),
            (
                &["BLMOVE", "l2", "dst", "LEFT", "RIGHT", "0"],
                &["LPUSH", "l2", "x"],
            ),
            (&["BZPOPMIN", "z", "0"], &["ZADD", "z", "1", "m"]),
            (
                &["BLMPOP", "0", "1", "l3", "RIGHT", "COUNT", "5"],
                &["RPUSH", "l3", "p", "q"],
            ),
        ] {
            let mut blocked = crate::support::Raw::to_port(port);
            let mut request = format!("*{}\r\n", block.len());
            block
                .iter()
                .for_each(|a| request.push_str(&format!("${}\r\n{a}\r\n", a.len())));
            blocked.send(request.as_bytes());
            crate::support::wait_for_blocked_clients(&mut con, 1);
            let _: redis::Value = q(&mut con, feed);
            crate::support::wait_for_blocked_clients(&mut con, 0);
        }
        q::<i64>(&mut con, &["PUBLISH", "done", "."]);
        sequences.push(events_until_done(&mut sub));
    }
    assert_eq!(sequences[1], sequences[0]);
    assert!(
        sequences[0].iter().any(|e| e == "__keyevent@0__:zpopmin z"),
        "{sequences:?}"
    );
}

#[test]
fn the_setting_validates_and_echoes_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    for flags in [
        "KEA",
        "Ex",
        "AKE",
        "gA",
        "Kn",
        "m",
        "AmKEn",
        "$lshzxetd",
        "q",
        "KEz!",
        "",
    ] {
        same(
            &mut redis,
            &mut rg,
            &["CONFIG", "SET", "notify-keyspace-events", flags],
        );
        same(
            &mut redis,
            &mut rg,
            &["CONFIG", "GET", "notify-keyspace-events"],
        );
    }
}

#[test]
fn lazy_and_active_expiry_announce_expired() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut sub_con = connect(&node);
    let mut sub = subscriber(&mut sub_con);
    q::<()>(&mut con, &["CONFIG", "SET", "notify-keyspace-events", "Ex"]);
    q::<()>(&mut con, &["SET", "lazy", "v", "PX", "30"]);
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "lazy"]), None);
    q::<()>(&mut con, &["SET", "active", "v", "PX", "30"]);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let message = sub.get_message().expect("both keys expire");
        seen.push(message.get_payload::<String>().unwrap());
    }
    assert_eq!(seen, ["lazy", "active"]);
}

#[test]
fn eviction_announces_evicted() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut sub_con = connect(&node);
    let mut sub = subscriber(&mut sub_con);
    q::<()>(&mut con, &["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    for i in 0..20 {
        q::<()>(&mut con, &["SET", &format!("k{i}"), &"x".repeat(1000)]);
    }
    q::<()>(
        &mut con,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
    );
    q::<()>(&mut con, &["CONFIG", "SET", "maxmemory", "1"]);
    let _ = err(&mut con, &["SET", "more", "x"]);
    q::<()>(&mut con, &["CONFIG", "SET", "maxmemory", "0"]);
    let message = sub.get_message().expect("an eviction is announced");
    assert_eq!(message.get_channel_name(), "__keyevent@0__:evicted");
    assert_eventually!(q::<i64>(&mut con, &["DBSIZE"]) == 0);
}

/// A replica applies the primary's stream through the same commands: its own subscribers
/// hear the same events.
#[test]
fn a_replica_announces_the_writes_it_applies() {
    let group = Group::new("notify");
    let primary_node = group.node("p", None, &[]);
    let replica_node = group.node("r", Some("p"), &[]);
    let (mut primary, mut replica) = (connect(&primary_node), connect(&replica_node));
    // Past the full sync, whose snapshot arrives as commands of its own (RPUSH...).
    q::<()>(&mut primary, &["SET", "synced", "1"]);
    assert_eventually!(q::<Option<String>>(&mut replica, &["GET", "synced"]).is_some());
    q::<()>(
        &mut replica,
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
    );
    let mut sub_con = connect(&replica_node);
    let mut sub = subscriber(&mut sub_con);
    q::<()>(&mut primary, &["SET", "k", "v"]);
    q::<i64>(&mut primary, &["LPUSH", "l", "a"]);
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let message = sub
            .get_message()
            .expect("the replica announces applied writes");
        let payload: String = message.get_payload().unwrap();
        seen.push(format!("{} {payload}", message.get_channel_name()));
    }
    assert_eq!(
        seen,
        [
            "__keyspace@0__:k set",
            "__keyevent@0__:set k",
            "__keyspace@0__:l lpush",
            "__keyevent@0__:lpush l",
        ]
    );
}
