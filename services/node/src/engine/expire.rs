//! Active expiry: reclaims the memory of expired keys nobody reads, by sampling keys with an
//! expiry as Redis does (20 at a time; again while more than a quarter of them had expired).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::keyspace::Millis;
use super::Engine;

const SAMPLE: usize = 20;
/// Keep sampling a database while more than this many of a sample had expired.
const AGAIN_ABOVE: usize = SAMPLE / 4;

/// Runs one cycle over every database within `budget`; returns how many keys it deleted.
pub fn active_cycle(engine: &mut Engine, now: Millis, budget: Duration) -> usize {
    // Only a primary deletes expired keys; its DELs reach the replicas in the stream.
    // Nor while CLIENT PAUSE holds the dataset still.
    if engine.repl.is_replica() || engine.pause.holds_writes(now) {
        return 0;
    }
    let started = Instant::now();
    let mut deleted = 0;
    for db in 0..engine.dbs.len() {
        loop {
            let expired = expired_sample(engine, db, now);
            let count = expired.len();
            deleted += count;
            for key in expired {
                engine.delete_expired(db, &key);
            }
            if count <= AGAIN_ABOVE || started.elapsed() > budget {
                break;
            }
        }
        if started.elapsed() > budget {
            break;
        }
    }
    deleted
}

fn expired_sample(engine: &mut Engine, db: usize, now: Millis) -> Vec<Bytes> {
    let keys = &engine.dbs[db].keys;
    let mut expired: Vec<Bytes> = Vec::new();
    for _ in 0..SAMPLE.min(keys.volatile_len()) {
        let Some(slot) = keys.random_volatile_slot(&mut engine.rng) else {
            break;
        };
        let entry = keys.entry(slot);
        if entry.expires_at <= now && !expired.iter().any(|k| k[..] == entry.key[..]) {
            expired.push(Bytes::copy_from_slice(&entry.key));
        }
    }
    expired
}
