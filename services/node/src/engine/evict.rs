//! Eviction under `maxmemory`: approximate LRU, LFU, random and TTL, by sampling as Redis does
//! (`maxmemory-samples` keys per database, the best candidate goes).

use bytes::Bytes;
use rand::Rng;

use super::error::CmdError;
use super::keyspace::{Keyspace, Millis};
use super::memory;
use super::settings::{Policy, Settings};
use super::Engine;

/// The LFU counter a new key starts with, so it is not evicted before it had a chance.
const LFU_INIT: u32 = 5;

/// The stamp a key gets when it is created.
pub fn access_stamp(policy: Policy, now: Millis) -> u32 {
    if policy.is_lfu() {
        (minutes(now) << 8) | LFU_INIT
    } else {
        seconds(now)
    }
}

/// The stamp after an access at `now`.
pub fn on_access(stamp: u32, now: Millis, settings: &Settings, rng: &mut impl Rng) -> u32 {
    if !settings.maxmemory_policy.is_lfu() {
        return seconds(now);
    }
    let counter = lfu_increment(lfu_decayed(stamp, now, settings), settings, rng);
    (minutes(now) << 8) | counter
}

fn seconds(now: Millis) -> u32 {
    (now / 1000) as u32
}

/// Minutes, on 16 bits like Redis's LFU clock.
fn minutes(now: Millis) -> u32 {
    ((now / 60_000) & 0xffff) as u32
}

fn lfu_decayed(stamp: u32, now: Millis, settings: &Settings) -> u32 {
    let counter = stamp & 0xff;
    if settings.lfu_decay_time == 0 {
        return counter;
    }
    let elapsed = minutes(now).wrapping_sub(stamp >> 8) & 0xffff;
    counter.saturating_sub(elapsed / settings.lfu_decay_time)
}

/// Redis's logarithmic counter: the higher it is, the less likely an access raises it.
fn lfu_increment(counter: u32, settings: &Settings, rng: &mut impl Rng) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT) as f64;
    let p = 1.0 / (base * f64::from(settings.lfu_log_factor) + 1.0);
    if rng.gen::<f64>() < p {
        counter + 1
    } else {
        counter
    }
}

/// Evicts keys until memory is under `maxmemory`; an error if it cannot.
pub fn make_room(engine: &mut Engine, now: Millis) -> Result<(), CmdError> {
    let limit = engine.settings.maxmemory as usize;
    // A paused primary keeps its dataset as it is (Redis skips eviction while paused).
    if limit == 0 || engine.pause.holds_writes(now) {
        return Ok(());
    }
    while memory::used() > limit {
        if engine.settings.maxmemory_policy == Policy::NoEviction {
            return Err(CmdError::OutOfMemory);
        }
        let Some((db, key)) = pick_victim(engine, now) else {
            return Err(CmdError::OutOfMemory);
        };
        engine.dbs[db].keys.remove(&key);
        engine.stats.evicted_keys += 1;
        engine.touch(db, &key);
        engine.notify(super::notify::Class::EVICTED, "evicted", db, &key);
        engine.propagate(db, vec![Bytes::from_static(b"DEL"), key]);
    }
    Ok(())
}

/// Samples every database and returns the best key to evict under the current policy.
fn pick_victim(engine: &mut Engine, now: Millis) -> Option<(usize, Bytes)> {
    let Engine {
        dbs, settings, rng, ..
    } = engine;
    let policy = settings.maxmemory_policy;
    let mut best: Option<(u64, usize, u32)> = None;
    for (index, db) in dbs.iter().enumerate() {
        for _ in 0..settings.maxmemory_samples {
            let Some(slot) = sample(&db.keys, policy, rng) else {
                break;
            };
            let score = eviction_score(&db.keys, slot, now, settings);
            if best.is_none_or(|(s, _, _)| score > s) {
                best = Some((score, index, slot));
            }
            if policy == Policy::AllKeysRandom || policy == Policy::VolatileRandom {
                break;
            }
        }
    }
    let (_, db, slot) = best?;
    Some((db, Bytes::copy_from_slice(&dbs[db].keys.entry(slot).key)))
}

fn sample(keys: &Keyspace, policy: Policy, rng: &mut impl Rng) -> Option<u32> {
    if policy.is_volatile() {
        keys.random_volatile_slot(rng)
    } else {
        keys.random_slot(rng)
    }
}

/// Higher means a better candidate for eviction.
fn eviction_score(keys: &Keyspace, slot: u32, now: Millis, settings: &Settings) -> u64 {
    let entry = keys.entry(slot);
    match settings.maxmemory_policy {
        Policy::AllKeysLru | Policy::VolatileLru => {
            u64::from(seconds(now).wrapping_sub(entry.access))
        }
        Policy::AllKeysLfu | Policy::VolatileLfu => {
            255 - u64::from(lfu_decayed(entry.access, now, settings))
        }
        Policy::VolatileTtl => u64::MAX - entry.expires_at,
        Policy::AllKeysRandom | Policy::VolatileRandom | Policy::NoEviction => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn lfu_counter_grows_slowly_and_decays() {
        let settings = Settings {
            maxmemory_policy: Policy::AllKeysLfu,
            ..Settings::default()
        };
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut stamp = access_stamp(Policy::AllKeysLfu, 0);
        for _ in 0..1000 {
            stamp = on_access(stamp, 0, &settings, &mut rng);
        }
        let counter = stamp & 0xff;
        assert!(counter > LFU_INIT && counter < 255, "counter {counter}");
        let ten_minutes_later = lfu_decayed(stamp, 10 * 60_000, &settings);
        assert_eq!(ten_minutes_later, counter - 10);
    }
}
