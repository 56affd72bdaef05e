//! The snapshot is point-in-time: loading it and then applying the stream written after it
//! started gives exactly the primary's dataset, however writes interleave with the chunks.

use bytes::{Bytes, BytesMut};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rg_resp::RequestDecoder;

use super::{capture, snapshot};
use crate::commands::testing::TestNode;
use crate::engine::reply::Reply;

/// Runs every RESP command in `bytes` on `node` (as the replica's applier would).
fn apply(node: &mut TestNode, bytes: &[u8]) {
    let mut decoder = RequestDecoder::default();
    let mut buf = BytesMut::from(bytes);
    while let Some(args) = decoder.decode(&mut buf).unwrap() {
        let words: Vec<String> = args
            .iter()
            .map(|a: &Bytes| String::from_utf8_lossy(a).into_owned())
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let reply = node.run(&words);
        assert!(
            !matches!(reply, Reply::Error(_)),
            "{words:?} failed: {reply:?}"
        );
    }
}

fn random_write(rng: &mut SmallRng) -> Vec<String> {
    let key = format!("k{}", rng.gen_range(0..300));
    let other = format!("k{}", rng.gen_range(0..300));
    let n = rng.gen_range(0..50).to_string();
    let words: Vec<&str> = match rng.gen_range(0..9) {
        0 => vec!["SET", &key, &n],
        1 => vec!["DEL", &key],
        2 => vec!["RPUSH", &key, &n],
        3 => vec!["SADD", &key, &n],
        4 => vec!["RENAME", &key, &other],
        5 => vec!["EXPIRE", &key, "1000"],
        6 => vec!["HSET", &key, "f", &n],
        7 => vec!["SELECT", if n.len() == 1 { "1" } else { "0" }],
        _ => vec!["ZADD", &key, &n, "m"],
    };
    words.into_iter().map(String::from).collect()
}

#[test]
fn snapshot_plus_stream_rebuilds_the_primary_exactly() {
    for seed in 0..10 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut primary = TestNode::new();
        for _ in 0..2000 {
            let words = random_write(&mut rng);
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let _ = primary.response(&words);
        }
        capture(&mut primary.engine);
        primary.engine.repl.take_unpublished();
        snapshot::start(&mut primary.engine, primary.now);
        let mut replica = TestNode::new();
        let (mut first, mut stream, mut chunks) = (true, BytesMut::new(), 0);
        loop {
            // Writes land between chunks, touching entries the walk has and has not reached.
            for _ in 0..rng.gen_range(0..40) {
                let words = random_write(&mut rng);
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                let _ = primary.response(&words);
                capture(&mut primary.engine);
                if let Some((_, bytes)) = primary.engine.repl.take_unpublished() {
                    stream.extend_from_slice(&bytes);
                }
            }
            let (chunk, last) = snapshot::next_chunk_of(&mut primary.engine, first, 300);
            first = false;
            chunks += 1;
            apply(&mut replica, &chunk);
            if last {
                break;
            }
        }
        assert!(
            chunks > 20,
            "the snapshot came in {chunks} chunks: too few to interleave"
        );
        replica.run(&["SELECT", "0"]);
        apply(&mut replica, &stream);
        assert_eq!(
            primary.run(&["DEBUG", "DIGEST"]),
            replica.run(&["DEBUG", "DIGEST"]),
            "seed {seed}"
        );
    }
}

/// Streams go as XADD per entry, XSETID with the counters, XGROUP CREATE ... ENTRIESREAD,
/// XCLAIM ... FORCE JUSTID per pending entry and CREATECONSUMER for idle consumers: the
/// replica's dataset matches, counters, groups and pending entries included.
#[test]
fn a_snapshot_carries_streams_with_their_groups() {
    let mut primary = TestNode::new();
    let script: &[&[&str]] = &[
        &["XADD", "s", "1-1", "a", "1"],
        &["XADD", "s", "2-1", "b", "2", "c", "3"],
        &["XADD", "s", "3-1", "d", "4"],
        &["XADD", "s", "4-1", "e", "5"],
        &["XGROUP", "CREATE", "s", "g", "0"],
        &["XGROUP", "CREATE", "s", "h", "$", "ENTRIESREAD", "4"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "COUNT",
            "1",
            "STREAMS",
            "s",
            ">",
        ],
        &["XCLAIM", "s", "g", "bob", "0", "1-1", "RETRYCOUNT", "5"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "carol"],
        &["XDEL", "s", "4-1"],
        &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"],
        &["XADD", "gone", "7-7", "f", "v"],
        &["XDEL", "gone", "7-7"],
        &["XADD", "ttl", "1-1", "f", "v"],
        &["PEXPIRE", "ttl", "100000"],
        // Pending entries whose entries are gone: deleted, and trimmed away.
        &["XDEL", "s", "2-1"],
        &["XADD", "tr", "1-1", "f", "v"],
        &["XADD", "tr", "2-1", "f", "v"],
        &["XADD", "tr", "3-1", "f", "v"],
        &["XGROUP", "CREATE", "tr", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "tr", ">"],
        &["XTRIM", "tr", "MAXLEN", "1"],
        &["XADD", "all", "1-1", "f", "v"],
        &["XGROUP", "CREATE", "all", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "all", ">"],
        &["XTRIM", "all", "MAXLEN", "0"],
    ];
    for args in script {
        let reply = primary.run(args);
        assert!(!matches!(reply, Reply::Error(_)), "{args:?}: {reply:?}");
    }
    capture(&mut primary.engine);
    primary.engine.repl.take_unpublished();
    snapshot::start(&mut primary.engine, primary.now);
    let mut replica = TestNode::new();
    let mut first = true;
    loop {
        let (chunk, last) = snapshot::next_chunk_of(&mut primary.engine, first, 4096);
        first = false;
        apply(&mut replica, &chunk);
        if last {
            break;
        }
    }
    replica.run(&["SELECT", "0"]);
    assert_eq!(
        primary.run(&["DEBUG", "DIGEST"]),
        replica.run(&["DEBUG", "DIGEST"])
    );
    for key in ["s", "empty", "gone", "tr", "all"] {
        assert_eq!(
            primary.run(&["XINFO", "STREAM", key]),
            replica.run(&["XINFO", "STREAM", key]),
            "{key}"
        );
    }
    for key in ["s", "tr", "all"] {
        let pending = ["XPENDING", key, "g", "-", "+", "10"];
        assert_eq!(primary.run(&pending), replica.run(&pending), "{key}");
        let groups = ["XINFO", "GROUPS", key];
        assert_eq!(primary.run(&groups), replica.run(&groups), "{key}");
    }
}
