//! Thousands of seeded schedules of the real failover procedure and view on a simulated
//! network of model nodes, with faults (bus cuts, pauses, sentinel crashes, lost,
//! duplicated and reordered messages), checking after every event: one vote per sentinel
//! per epoch, one primary installed per epoch, no write acknowledged by a superseded
//! primary, and every acknowledged write held by every later primary.
//!
//! `SIM_SCHEDULES=n` runs more (scripts/simulate.sh); `SIM_SEED=s` replays one.

mod sim;

use std::collections::BTreeMap;
use std::time::Instant;

use sim::world::World;

fn schedules() -> u64 {
    std::env::var("SIM_SCHEDULES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn every_schedule_keeps_the_invariants() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(seed) => vec![seed],
        None => (1..=schedules()).collect(),
    };
    let started = Instant::now();
    let (mut events, mut failovers, mut acknowledged) = (0, 0, 0);
    let mut faults: BTreeMap<&str, u64> = BTreeMap::new();
    let mut broken = Vec::new();
    for seed in &seeds {
        match World::new(*seed).run() {
            Ok(report) => {
                events += report.events;
                failovers += report.failovers;
                acknowledged += report.acknowledged;
                for (name, count) in report.faults {
                    *faults.entry(name).or_default() += count;
                }
            }
            Err(violation) => broken.push(format!("seed {seed}: {violation}")),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} schedules in {seconds:.1} s ({:.0} per second), {events} events ({:.0} per schedule), \
         {failovers} failovers started, {acknowledged} writes acknowledged; faults: {faults:?}",
        seeds.len(),
        seeds.len() as f64 / seconds,
        events as f64 / seeds.len() as f64
    );
    assert!(
        broken.is_empty(),
        "{} of {} schedules broke an invariant (replay one with SIM_SEED=<seed>):\n{}",
        broken.len(),
        seeds.len(),
        broken
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
