//! The round loop. Each round: writers run for the planned lead, the fault is done and
//! undone, the group must settle within the bound (one master, replicas linked, sentinels
//! agreeing) and writes through the router must succeed again; then the writers pause, the
//! replicas must catch up to identical datasets, and the checker reads every node.
//!
//! A round that does not settle ends the run: the group is in a state no later round can
//! be judged from.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::checker::{check, Losses};
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

/// Runs `options.rounds` rounds on a fresh group and reports what they found. Every
/// process's log ends up in `options.log_dir`.
pub fn run(options: &Options) -> Report {
    let logs = LogArchive::create(&options.log_dir)
        .unwrap_or_else(|e| panic!("cannot write logs to {}: {e}", options.log_dir.display()));
    let mut cluster = Cluster::start(options.mode, logs);
    let mut report = Report {
        options: options.clone(),
        rounds: Vec::new(),
        aborted: None,
    };
    match settled_stably(&cluster, options.converge_bound) {
        Ok(primary) => play_rounds(&mut cluster, options, primary, &mut report),
        Err(why) => report.aborted = Some(format!("the group never formed: {why}")),
    }
    cluster.save_logs();
    report
}

fn play_rounds(cluster: &mut Cluster, options: &Options, primary: usize, report: &mut Report) {
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
    for number in options.round_numbers() {
        let fault = plan(options.seed, number, &options.kinds);
        round.note(&format!("start: {fault}"));
        let (result, abort) = round.play(fault);
        round.note(&result.summary());
        println!("{}", result.summary());
        report.rounds.push(result);
        if let Err(why) = abort {
            round.note(&format!("run stopped: {why}"));
            report.aborted = Some(why);
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
    /// Plays one round; `Err` when the run cannot go on.
    fn play(&mut self, fault: Fault) -> (RoundResult, Result<(), String>) {
        let mut result = RoundResult::new(fault.clone());
        self.sampler.set_round(fault.round);
        self.writers.resume(fault.round);
        std::thread::sleep(fault.lead);
        let start = Instant::now();
        let go_on = self.fault_and_settle(&fault, &mut result);
        if let Err(why) = self.writers.pause() {
            result.fail(&why);
        }
        let end = Instant::now();
        // A group that settled but takes no writes can still be read.
        if go_on.as_ref().map_or_else(|stop| stop.settled, |()| true) {
            self.verify(&mut result);
        }
        self.tally(&mut result, start, end);
        (result, go_on.map_err(|stop| stop.why))
    }

    /// The fault, then the bounded wait for the group to settle and take writes again.
    fn fault_and_settle(&mut self, fault: &Fault, result: &mut RoundResult) -> Result<(), Stop> {
        let bound = self.options.converge_bound;
        let hit = inject(self.cluster, fault, self.primary);
        result.hit = hit.map_err(|why| result.stop(why, false))?;
        let settled = settled_stably(self.cluster, bound);
        self.primary = settled.map_err(|why| {
            let mut why = format!("did not converge within {} s: {why}", bound.as_secs());
            let exited = self.cluster.exited();
            if !exited.is_empty() {
                why.push_str(&format!("; exited by themselves: {}", exited.join(", ")));
            }
            result.stop(why, false)
        })?;
        let settled_at = Instant::now();
        let writes_again = || match self.writers.writes().last() {
            Some(write) if write.at > settled_at => Ok(()),
            _ => Err("no SET through the router succeeded since".to_string()),
        };
        poll(bound, writes_again).map_err(|why| {
            let why = format!(
                "settled, but writes did not resume within {} s: {why}",
                bound.as_secs()
            );
            result.stop(why, true)
        })?;
        result.converged = true;
        Ok(())
    }

    /// With the writers paused: identical datasets, then every promised write on every node.
    fn verify(&mut self, result: &mut RoundResult) {
        let bound = self.options.converge_bound;
        // The writers' pause may have taken a while: the primary as it is now.
        match settled_stably(self.cluster, bound) {
            Ok(primary) => self.primary = primary,
            Err(why) => result.fail(&format!("unsettled after the writers paused: {why}")),
        }
        if let Err(why) = poll(bound, || caught_up(self.cluster, self.primary)) {
            result.fail(&format!(
                "replicas did not catch up within {} s: {why}",
                bound.as_secs()
            ));
        }
        let writes = self.writers.writes();
        match check(&self.nodes, &writes, self.options.mode, &mut self.lost) {
            Ok(Losses { acked, unacked }) => {
                if !acked.is_empty() {
                    result.fail(&format!("{} acknowledged writes lost", acked.len()));
                }
                result.lost = acked;
                result.unacked_lost = unacked;
            }
            Err(why) => result.fail(&format!("the check could not read every node: {why}")),
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

/// Why a round ends the run, and whether the group had settled all the same.
struct Stop {
    why: String,
    settled: bool,
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
            errors: Default::default(),
            failure: None,
        }
    }

    /// Fails the round with `why`, which also ends the run.
    fn stop(&mut self, why: String, settled: bool) -> Stop {
        self.fail(&why);
        Stop { why, settled }
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
