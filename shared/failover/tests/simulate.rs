//! Thousands of seeded schedules of the real failover procedure and view on a simulated
//! network of model nodes and a model router (WAIT counted by rg-proto's `Positions`), with
//! faults (bus cuts, pauses, node crashes that lose the data, router pauses, sentinel
//! crashes, planned failovers, lost, duplicated and reordered messages), checking after
//! every event: one vote per sentinel per epoch, one primary installed per epoch, one node
//! taking writes per epoch, no write taken by a superseded primary past the fence bound,
//! every acknowledged write held by every later primary and by any primary that takes a
//! write; and at the end, healed, that the group converged on one writable primary that
//! every replica follows.
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
    // Schedules are independent: one share of the seeds per core.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = seeds.len().div_ceil(cores).max(1);
    let results: Vec<(u64, Result<sim::world::Report, String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = seeds
            .chunks(share)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|seed| (*seed, World::new(*seed).run()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a schedule panicked"))
            .collect()
    });
    let (mut events, mut failovers, mut acknowledged) = (0, 0, 0);
    let mut faults: BTreeMap<&str, u64> = BTreeMap::new();
    let mut broken = Vec::new();
    for (seed, result) in results {
        match result {
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
