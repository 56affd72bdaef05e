//! What each round does, decided by the seed and the round number alone, so that the same
//! `--seed` replays the same faults, targets and timings (which node *is* the primary when
//! the round starts is the group's doing, so a target is a role, resolved at that moment).
//!
//! Rounds come in blocks, each a seeded permutation of every kind the run plays (all seven
//! unless narrowed): any whole block covers every kind once.

use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// SIGKILL, then a fresh process (same id and flags, no `--replicaof`) `hold` later.
    KillRestart,
    /// SIGKILL, then a fresh process within 0.3 s: before the sentinels notice.
    KillFastRestart,
    /// SIGSTOP for `hold`, then SIGCONT.
    Pause,
    /// The node's connection to NATS cut for `hold` (its client port stays up).
    BusCut,
    /// The node's announced client address cut for `hold` (its bus stays up).
    DataCut,
    /// A sentinel killed, restarted `hold` later with the same id and state dir.
    SentinelRestart,
    /// The router SIGSTOPped for `hold`.
    RouterPause,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::KillRestart,
        FaultKind::KillFastRestart,
        FaultKind::Pause,
        FaultKind::BusCut,
        FaultKind::DataCut,
        FaultKind::SentinelRestart,
        FaultKind::RouterPause,
    ];

    /// The kind called `name`, as [`FaultKind::name`] spells it.
    pub fn named(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::KillRestart => "kill-restart",
            FaultKind::KillFastRestart => "kill-fast-restart",
            FaultKind::Pause => "pause",
            FaultKind::BusCut => "bus-cut",
            FaultKind::DataCut => "data-cut",
            FaultKind::SentinelRestart => "sentinel-restart",
            FaultKind::RouterPause => "router-pause",
        }
    }

    /// The range `hold` is drawn from, in milliseconds.
    fn hold_ms(self) -> (u64, u64) {
        match self {
            FaultKind::KillRestart => (2_000, 5_000),
            FaultKind::KillFastRestart => (0, 300),
            FaultKind::Pause => (1_000, 3_000),
            FaultKind::BusCut | FaultKind::DataCut => (1_000, 4_000),
            FaultKind::SentinelRestart | FaultKind::RouterPause => (500, 2_000),
        }
    }
}

/// Whom a fault hits, as a role; the driver maps it to a process when the round starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Primary,
    /// The n-th replica (0 or 1) in node-id order.
    Replica(usize),
    /// Sentinel s1, s2 or s3 (0, 1, 2).
    Sentinel(usize),
    Router,
}

/// One round: writers run for `lead`, then the fault, which lasts `hold`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub round: u32,
    pub kind: FaultKind,
    pub target: Target,
    pub lead: Duration,
    pub hold: Duration,
}

/// The fault of round `round` (counted from 1) of the run seeded `seed`, among `kinds`
/// (all of [`FaultKind::ALL`] unless a run is narrowed; empty means all).
pub fn plan(seed: u64, round: u32, kinds: &[FaultKind]) -> Fault {
    let kinds = if kinds.is_empty() {
        &FaultKind::ALL[..]
    } else {
        kinds
    };
    let index = round.saturating_sub(1) as usize;
    let kind = block(seed, index / kinds.len(), kinds)[index % kinds.len()];
    let mut rng = StdRng::seed_from_u64(mix(seed, 2 * u64::from(round) + 1));
    let target = match kind {
        FaultKind::SentinelRestart => Target::Sentinel(rng.gen_range(0..3)),
        FaultKind::RouterPause => Target::Router,
        _ if rng.gen_bool(0.75) => Target::Primary,
        _ => Target::Replica(rng.gen_range(0..2)),
    };
    let (low, high) = kind.hold_ms();
    Fault {
        round,
        kind,
        target,
        lead: Duration::from_millis(rng.gen_range(500..=1_500)),
        hold: Duration::from_millis(rng.gen_range(low..=high)),
    }
}

/// The order of `kinds` in block `block`.
fn block(seed: u64, block: usize, kinds: &[FaultKind]) -> Vec<FaultKind> {
    let mut kinds = kinds.to_vec();
    kinds.shuffle(&mut StdRng::seed_from_u64(mix(seed, 2 * block as u64)));
    kinds
}

/// A stream id per (seed, purpose): neighbouring seeds and rounds get unrelated streams.
pub fn mix(seed: u64, stream: u64) -> u64 {
    seed.rotate_left(17) ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Primary => write!(f, "primary"),
            Target::Replica(n) => write!(f, "replica #{n}"),
            Target::Sentinel(n) => write!(f, "s{}", n + 1),
            Target::Router => write!(f, "router"),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "round {} {} on {}: after {} ms of writes, lasting {} ms",
            self.round,
            self.kind.name(),
            self.target,
            self.lead.as_millis(),
            self.hold.as_millis()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_plans_the_same_rounds() {
        for round in 1..30 {
            assert_eq!(plan(42, round, &[]), plan(42, round, &[]));
        }
        let a: Vec<Fault> = (1..15).map(|r| plan(1, r, &[])).collect();
        let b: Vec<Fault> = (1..15).map(|r| plan(2, r, &[])).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn every_block_of_seven_rounds_covers_every_kind() {
        for seed in 0..20 {
            for start in [1, 8, 15] {
                let mut kinds: Vec<FaultKind> = (start..start + 7)
                    .map(|r| plan(seed, r, &[]).kind)
                    .collect();
                kinds.sort();
                assert_eq!(kinds, FaultKind::ALL);
            }
        }
    }

    #[test]
    fn a_narrowed_run_plays_only_its_kinds_each_once_per_block() {
        let only = [FaultKind::KillRestart, FaultKind::BusCut];
        for seed in 0..20 {
            let mut kinds: Vec<FaultKind> = (1..=4).map(|r| plan(seed, r, &only).kind).collect();
            kinds.sort();
            assert_eq!(kinds, [only[0], only[0], only[1], only[1]]);
        }
        assert_eq!(FaultKind::named("bus-cut"), Some(FaultKind::BusCut));
        assert_eq!(FaultKind::named("nope"), None);
    }

    #[test]
    fn holds_stay_in_their_kinds_range() {
        for round in 1..200 {
            let fault = plan(9, round, &[]);
            let (low, high) = fault.kind.hold_ms();
            let hold = fault.hold.as_millis() as u64;
            assert!((low..=high).contains(&hold), "{fault}");
            if fault.kind == FaultKind::RouterPause {
                assert_eq!(fault.target, Target::Router);
            }
        }
    }
}
