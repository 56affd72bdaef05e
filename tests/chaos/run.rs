//! The round loop. Each round: writers run for the planned lead, the fault is done and
//! undone, the group must settle within the bound (one master, replicas linked, sentinels
//! agreeing) and writes through the router must succeed again; then the writers pause, the
//! replicas must catch up to identical datasets, and the checker reads every node.
//!
//! A round that fails (a loss, a split brain, datasets that differ, no convergence) leaves
//! a group no later round could be judged on, so the next round starts on a fresh group:
//! new processes, new bus, empty dataset, its logs in their own directory.

use std::collections::HashSet;
use std::ops::Range;
use std::time::{Duration, Instant};

use super::checker::{check, Losses};

/// Rounds one group plays before a fresh one takes over. The writers' keys are never deleted
/// (each must be checked after every later fault), so the dataset grows by about 2 MB a
/// round; past 100 rounds (190 MB) a full sync in a debug build on a loaded 2-core machine
/// outlasted the convergence bound, which says nothing about the fault being played.
const ROUNDS_PER_GROUP: u32 = 40;

/// How a check that could not read every node begins its failure.
const UNREADABLE: &str = "the check could not read every node";
use super::cluster::Cluster;
use super::converge::{caught_up, settled_stably};
use super::faults::inject;
use super::logs::LogArchive;
use super::observe::poll;
use super::options::Options;
use super::plan::{plan, Fault};
use super::report::{longest_gap, Report, RoundResult};
use super::sampler::Sampler;
use super::writers::Writers;

/// Plays `options.rounds` rounds and reports what they found. Every process's log ends up
/// under `options.log_dir`, in `group-<n>/` for the n-th group started.
pub fn run(options: &Options) -> Report {
    let mut report = Report {
        options: options.clone(),
        rounds: Vec::new(),
        aborted: None,
    };
    let mut rounds = options.round_numbers();
    for group in 1.. {
        if rounds.is_empty() {
            break;
        }
        if let Err(why) = play_group(options, group, &mut rounds, &mut report) {
            report.aborted = Some(why);
            break;
        }
    }
    report
}

/// Plays `rounds` on a fresh group until they run out or one fails; `Err` when the group
/// never formed.
fn play_group(
    options: &Options,
    group: u32,
    rounds: &mut Range<u32>,
    report: &mut Report,
) -> Result<(), String> {
    let dir = options.log_dir.join(format!("group-{group}"));
    let logs = LogArchive::create(&dir)
        .unwrap_or_else(|e| panic!("cannot write logs to {}: {e}", dir.display()));
    let mut cluster = Cluster::start(options.mode, logs);
    let played = match settled_stably(&cluster, options.converge_bound) {
        Ok(primary) => {
            play_rounds(&mut cluster, options, (group, primary), rounds, report);
            Ok(())
        }
        Err(why) => Err(format!("group {group} never formed: {why}")),
    };
    cluster.save_logs();
    played
}

fn play_rounds(
    cluster: &mut Cluster,
    options: &Options,
    (group, primary): (u32, usize),
    rounds: &mut Range<u32>,
    report: &mut Report,
) {
    let nodes: Vec<(&'static str, u16)> = cluster.nodes.iter().map(|n| (n.id, n.port)).collect();
    let sampler = Sampler::start(nodes.clone());
    let writers = Writers::start(cluster.smart_port, options);
    let mut round = Round {
        cluster,
        writers: &writers,
        sampler: &sampler,
        options,
        nodes,
        primary,
        lost: HashSet::new(),
    };
    for (played, number) in (1..).zip(rounds.by_ref()) {
        let fault = plan(options.seed, number, &options.kinds);
        round.note(&format!("start: {fault}"));
        let mut result = round.play(fault);
        result.group = group;
        round.note(&result.summary());
        println!("{}", result.summary());
        let failed = result.failure.is_some();
        report.rounds.push(result);
        if failed {
            round.note("this group is done: the next round starts on a fresh one");
            break;
        }
        if played == ROUNDS_PER_GROUP {
            round.note("this group has played its share: the next round starts on a fresh one");
            break;
        }
    }
    writers.stop();
}

struct Round<'a> {
    cluster: &'a mut Cluster,
    writers: &'a Writers,
    sampler: &'a Sampler,
    options: &'a Options,
    nodes: Vec<(&'static str, u16)>,
    /// The primary when the round starts.
    primary: usize,
    /// Keys found lost so far: each is counted once.
    lost: HashSet<String>,
}

impl Round<'_> {
    /// Plays one round.
    fn play(&mut self, fault: Fault) -> RoundResult {
        let mut result = RoundResult::new(fault.clone());
        self.sampler.set_round(fault.round);
        self.writers.resume(fault.round);
        std::thread::sleep(fault.lead);
        let start = Instant::now();
        let settled = self.fault_and_settle(&fault, &mut result);
        if let Err(why) = self.writers.pause() {
            result.fail(&why);
        }
        let end = Instant::now();
        // A group that settled but takes no writes can still be read.
        if settled {
            self.verify(&mut result);
        }
        self.tally(&mut result, start, end);
        result
    }

    /// The fault, then the bounded wait for the group to settle and take writes again.
    /// Whether it settled (the writes may still not have resumed: the round says so).
    fn fault_and_settle(&mut self, fault: &Fault, result: &mut RoundResult) -> bool {
        let bound = self.options.converge_bound;
        match inject(self.cluster, fault, self.primary) {
            Ok(hit) => result.hit = hit,
            Err(why) => {
                result.fail(&why);
                return false;
            }
        }
        match settled_stably(self.cluster, bound) {
            Ok(primary) => self.primary = primary,
            Err(why) => {
                let exited = self.cluster.exited();
                result.fail(&format!(
                    "did not converge within {} s: {why}",
                    bound.as_secs()
                ));
                if !exited.is_empty() {
                    result.fail(&format!("exited by themselves: {}", exited.join(", ")));
                }
                return false;
            }
        }
        let settled_at = Instant::now();
        let writes_again = || match self.writers.writes().last() {
            Some(write) if write.at > settled_at => Ok(()),
            _ => Err("no SET through the router succeeded since".to_string()),
        };
        match poll(bound, writes_again) {
            Ok(()) => result.converged = true,
            Err(why) => result.fail(&format!(
                "settled, but writes did not resume within {} s: {why}",
                bound.as_secs()
            )),
        }
        true
    }

    /// With the writers paused: identical datasets, then every promised write on every node.
    /// A node that cannot be read (LOADING: the sentinels moved the primary again, after a
    /// failover the load brought on, say) sends the whole check round again, within the bound.
    fn verify(&mut self, result: &mut RoundResult) {
        let deadline = Instant::now() + self.options.converge_bound;
        let (failures, losses) = loop {
            let (failures, losses) = self.verify_once();
            let unreadable = failures.iter().any(|f| f.starts_with(UNREADABLE));
            if !unreadable || Instant::now() >= deadline {
                break (failures, losses);
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        failures.iter().for_each(|why| result.fail(why));
        if let Some(Losses { acked, unacked }) = losses {
            if !acked.is_empty() {
                result.fail(&format!("{} acknowledged writes lost", acked.len()));
            }
            result.lost = acked;
            result.unacked_lost = unacked;
        }
    }

    /// One pass of [`Self::verify`]: what failed, and the losses if every node was read.
    fn verify_once(&mut self) -> (Vec<String>, Option<Losses>) {
        let bound = self.options.converge_bound;
        let mut failures = Vec::new();
        // The writers' pause may have taken a while: the primary as it is now.
        match settled_stably(self.cluster, bound) {
            Ok(primary) => self.primary = primary,
            Err(why) => failures.push(format!("unsettled after the writers paused: {why}")),
        }
        if let Err(why) = poll(bound, || caught_up(self.cluster, self.primary)) {
            failures.push(format!(
                "replicas did not catch up within {} s: {why}",
                bound.as_secs()
            ));
        }
        let writes = self.writers.writes();
        match check(&self.nodes, &writes, self.options.mode, &mut self.lost) {
            Ok(losses) => (failures, Some(losses)),
            Err(why) => {
                failures.push(format!("{UNREADABLE}: {why}"));
                (failures, None)
            }
        }
    }

    /// Counts of the round's writes, its longest write outage, and the sampler's findings.
    fn tally(&self, result: &mut RoundResult, start: Instant, end: Instant) {
        let round = result.fault.round;
        let mode = self.options.mode;
        let writes = self.writers.writes();
        let mine = writes.iter().filter(|w| w.round == round);
        let (mut ok, mut acked, mut times, mut latencies) = (0, 0, Vec::new(), Vec::new());
        for write in mine {
            ok += 1;
            latencies.push(write.latency);
            acked += u64::from(write.acknowledged(mode));
            if write.at > start {
                times.push(write.at);
            }
        }
        times.sort();
        result.writes_ok = ok;
        result.acked = acked;
        result.outage = longest_gap(start, &times, end);
        latencies.sort();
        result.median_latency = latencies
            .get(latencies.len() / 2)
            .copied()
            .unwrap_or_default();
        result.errors = self.writers.errors(round);
        let seen = self.sampler.seen(round);
        result.two_masters = seen.two_masters;
        result.split_brain = seen.split_brain;
        if let Some((at, nodes)) = seen.first {
            let after = at.saturating_duration_since(start).as_millis();
            result.fail(&format!(
                "{} split-brain samples: {nodes:?} both took a write {after} ms after the fault",
                seen.split_brain
            ));
        }
    }

    fn note(&self, line: &str) {
        self.cluster.logs.note(line);
    }
}

impl RoundResult {
    fn new(fault: Fault) -> RoundResult {
        RoundResult {
            fault,
            hit: String::new(),
            converged: false,
            writes_ok: 0,
            acked: 0,
            lost: Vec::new(),
            unacked_lost: 0,
            split_brain: 0,
            two_masters: 0,
            outage: Duration::ZERO,
            median_latency: Duration::ZERO,
            group: 0,
            errors: Default::default(),
            failure: None,
        }
    }

    /// Adds a reason to the round's failure.
    fn fail(&mut self, why: &str) {
        match &mut self.failure {
            Some(failure) => {
                failure.push_str("; ");
                failure.push_str(why);
            }
            None => self.failure = Some(why.to_string()),
        }
    }
}
