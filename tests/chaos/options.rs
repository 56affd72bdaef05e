//! What a run is asked to do.

use std::path::PathBuf;
use std::time::Duration;

use super::plan::FaultKind;

/// Which promise the run checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Writers SET then `WAIT 1 <t>`; a write whose WAIT answered 1 or more must survive.
    Wait,
    /// Nodes run with `--sync-replicas 1`, writers plain SET; every OK'd SET must survive.
    Sync,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Wait => "wait",
            Mode::Sync => "sync",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// The first round run (rounds count from 1): a failed round can be replayed alone, on
    /// a fresh group, with the same fault, target and timings.
    pub first_round: u32,
    pub rounds: u32,
    pub mode: Mode,
    /// The fault kinds played (empty: all of them).
    pub kinds: Vec<FaultKind>,
    /// Concurrent writer connections through the router's smart endpoint.
    pub writers: usize,
    /// Each writer's pause between writes: the load stays moderate on a small machine.
    pub write_interval: Duration,
    /// Writer 0 makes every n-th value big (0.6 to 2 MiB, past NATS's 1 MB message
    /// limit); 0 never.
    pub big_every: u64,
    /// How long the group may take to settle after a fault before the round fails.
    pub converge_bound: Duration,
    /// Where every process's log is written.
    pub log_dir: PathBuf,
}

impl Options {
    /// Defaults for `seed`: 4 writers, one block of rounds (every kind once), a big value
    /// every 100th write of writer 0, 30 s bound.
    pub fn new(seed: u64, log_dir: PathBuf) -> Options {
        Options {
            seed,
            first_round: 1,
            rounds: 7,
            mode: Mode::Wait,
            kinds: Vec::new(),
            writers: 4,
            write_interval: Duration::from_millis(2),
            big_every: 100,
            converge_bound: Duration::from_secs(30),
            log_dir,
        }
    }

    /// The rounds this run plays, in order.
    pub fn round_numbers(&self) -> std::ops::Range<u32> {
        self.first_round..self.first_round + self.rounds
    }
}
