//! What the rounds found: a line per round as it ends, and a table per fault kind.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::checker::Lost;
use super::options::{Mode, Options};
use super::plan::{Fault, FaultKind};

/// One round's outcome.
#[derive(Clone, Debug)]
pub struct RoundResult {
    pub fault: Fault,
    /// What the fault hit, e.g. "n1 (primary)".
    pub hit: String,
    pub converged: bool,
    /// SETs answered OK during the round.
    pub writes_ok: u64,
    /// Of those, the ones the mode's promise covers.
    pub acked: u64,
    /// Promised writes (of this round or earlier) this round's check found gone.
    pub lost: Vec<Lost>,
    /// Writes answered OK but not acknowledged, gone (allowed).
    pub unacked_lost: u64,
    pub split_brain: u64,
    /// Samples where two nodes reported master (whether or not both took the probe).
    pub two_masters: u64,
    /// The longest time without an OK'd SET, from the fault on.
    pub outage: Duration,
    /// The median time from SET to the answer of its WAIT (to its OK in sync mode).
    pub median_latency: Duration,
    pub errors: BTreeMap<String, u64>,
    /// Why the round failed, if it did.
    pub failure: Option<String>,
    /// Which group (1, 2, ...: a fresh one after each failed round) it was played on.
    pub group: u32,
}

pub struct Report {
    pub options: Options,
    pub rounds: Vec<RoundResult>,
    /// Why the run stopped before its last round (a group that never formed), if it did.
    pub aborted: Option<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.aborted.is_none() && self.rounds.iter().all(|r| r.failure.is_none())
    }

    /// The table per fault kind, with a total line.
    pub fn table(&self) -> String {
        let wait = self.options.mode == Mode::Wait;
        let mut rows = vec![HEADER.map(String::from).to_vec()];
        for kind in FaultKind::ALL {
            let rounds: Vec<&RoundResult> = self
                .rounds
                .iter()
                .filter(|r| r.fault.kind == kind)
                .collect();
            if !rounds.is_empty() {
                rows.push(row(kind.name(), &rounds, wait));
            }
        }
        rows.push(row("all", &self.rounds.iter().collect::<Vec<_>>(), wait));
        render(&rows)
    }
}

impl Report {
    /// What failed, each failed round with its seed and number, and how to replay them.
    pub fn failures(&self) -> String {
        let o = &self.options;
        let mut out = String::new();
        for round in self.rounds.iter().filter(|r| r.failure.is_some()) {
            let why = round.failure.as_deref().unwrap_or_default();
            let _ = writeln!(
                out,
                "FAILED seed {} round {} ({} on {}): {why}",
                o.seed,
                round.fault.round,
                round.fault.kind.name(),
                round.hit
            );
            let _ = writeln!(
                out,
                "  that round alone on a fresh group: {}",
                self.replay(round.fault.round, 1)
            );
            let logs = o.log_dir.join(format!("group-{}", round.group));
            let _ = writeln!(out, "  its processes' logs: {}", logs.display());
        }
        if let Some(why) = &self.aborted {
            let _ = writeln!(out, "STOPPED seed {}: {why}", o.seed);
        }
        let _ = writeln!(
            out,
            "replay the run: {}",
            self.replay(o.first_round, o.rounds)
        );
        let _ = writeln!(
            out,
            "every process's log, by group: {}",
            o.log_dir.display()
        );
        out
    }

    fn replay(&self, first: u32, rounds: u32) -> String {
        let o = &self.options;
        let mut command = format!(
            "scripts/chaos.sh --seed {} --first-round {first} --rounds {rounds} --mode {} \
             --writers {} --big-every {}",
            o.seed,
            o.mode.name(),
            o.writers,
            o.big_every
        );
        if !o.kinds.is_empty() {
            let names: Vec<&str> = o.kinds.iter().map(|k| k.name()).collect();
            let _ = write!(command, " --kinds {}", names.join(","));
        }
        command
    }
}

const HEADER: [&str; 10] = [
    "fault",
    "rounds",
    "WAIT-acked",
    "WAIT-acked lost",
    "sync-acked",
    "sync-acked lost",
    "unacked lost",
    "split-brain samples",
    "converged",
    "max outage ms",
];

fn row(name: &str, rounds: &[&RoundResult], wait: bool) -> Vec<String> {
    let sum = |f: fn(&RoundResult) -> u64| rounds.iter().map(|r| f(r)).sum::<u64>().to_string();
    let (acked, lost) = (sum(|r| r.acked), sum(|r| r.lost.len() as u64));
    let dash = || "-".to_string();
    let (wait_cols, sync_cols) = if wait {
        ([acked, lost], [dash(), dash()])
    } else {
        ([dash(), dash()], [acked, lost])
    };
    let converged = rounds.iter().filter(|r| r.converged).count();
    let converged = if converged == rounds.len() {
        "y".to_string()
    } else {
        format!("n ({converged}/{})", rounds.len())
    };
    let outage = rounds.iter().map(|r| r.outage).max().unwrap_or_default();
    let mut cells = vec![name.to_string(), rounds.len().to_string()];
    cells.extend(wait_cols);
    cells.extend(sync_cols);
    cells.push(sum(|r| r.unacked_lost));
    cells.push(sum(|r| r.split_brain));
    cells.push(converged);
    cells.push(outage.as_millis().to_string());
    cells
}

fn render(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (index, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                if c == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        if index == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
        }
    }
    out
}

impl RoundResult {
    /// One line: the fault, what it hit, and what the round found.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} [{}]: {} OK, {} acked, {} acked lost, {} unacked lost, {} split-brain \
             samples ({} with two masters), outage {} ms, median write {} ms, errors {:?}",
            self.fault,
            self.hit,
            self.writes_ok,
            self.acked,
            self.lost.len(),
            self.unacked_lost,
            self.split_brain,
            self.two_masters,
            self.outage.as_millis(),
            self.median_latency.as_millis(),
            self.errors,
        );
        if let Some(failure) = &self.failure {
            let _ = write!(line, "\n  FAILED: {failure}");
        }
        for lost in self.lost.iter().take(5) {
            let _ = write!(
                line,
                "\n  lost {} (written in round {}): missing on {:?}",
                lost.key, lost.round, lost.missing_on
            );
        }
        line
    }
}

/// The longest time without an OK between `start` and `end`, given the OKs in between
/// (sorted).
pub fn longest_gap(start: Instant, oks: &[Instant], end: Instant) -> Duration {
    let mut last = start;
    let mut longest = Duration::ZERO;
    for &at in oks.iter().chain([&end]) {
        longest = longest.max(at.saturating_duration_since(last));
        last = last.max(at);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_gap_counts_from_the_fault_to_the_end() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let gap = |oks: &[Instant], end| longest_gap(start, oks, at(end)).as_millis();
        assert_eq!(gap(&[at(300), at(350), at(1_350)], 1_400), 1_000);
        assert_eq!(gap(&[at(900), at(950)], 1_000), 900);
        assert_eq!(gap(&[at(100)], 5_000), 4_900);
        assert_eq!(gap(&[], 0), 0);
    }
}
