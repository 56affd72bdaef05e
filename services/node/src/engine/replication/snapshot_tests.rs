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
