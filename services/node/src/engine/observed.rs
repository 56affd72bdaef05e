//! What a node observes about its own commands: per-command counts and latency histograms
//! (INFO commandstats, latencystats, LATENCY HISTOGRAM), error counts by prefix (INFO
//! errorstats), the slow log (SLOWLOG) and latency spikes by event (LATENCY LATEST...).
//!
//! Layout: [`histogram`] (Redis's HdrHistogram arithmetic, 2 significant digits),
//! [`slowlog`], [`latency`] (the event series); the counters are here. CONFIG RESETSTAT
//! clears the counters and histograms (not the slow log or the latency events, as in Redis).

pub mod histogram;
pub mod latency;
pub mod slowlog;

use std::collections::BTreeMap;

use hashbrown::HashMap;

use self::histogram::Histogram;
use self::latency::Events;
use self::slowlog::SlowLog;

/// One command's (or subcommand's) counters.
#[derive(Debug, Default, Clone)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    /// Refused before running (arity, auth, OOM, a read-only replica...).
    pub rejected: u64,
    /// Ran and answered an error.
    pub failed: u64,
    /// Durations in nanoseconds, as Redis records them (whole microseconds times 1000).
    pub latency: Histogram,
}

#[derive(Debug, Default)]
pub struct Observed {
    /// By Redis's full name: `get`, `config|get` (hashed: it is updated on every command).
    commands: HashMap<String, CommandStat>,
    /// By error code (`ERR`, `WRONGTYPE`...).
    pub errors: BTreeMap<String, u64>,
    pub error_replies: u64,
    /// The last error a script's `redis.call`/`pcall` got, already counted: the script's
    /// own error reply repeating it is not counted again, as in Redis 7.0.
    pub script_call_error: Option<String>,
    pub slowlog: SlowLog,
    pub latency: Events,
}

impl Observed {
    fn stat(&mut self, name: &str) -> &mut CommandStat {
        self.commands.entry_ref(name).or_default()
    }

    /// Every command's counters, by name.
    pub fn commands(&self) -> Vec<(&str, &CommandStat)> {
        let mut all: Vec<(&str, &CommandStat)> =
            self.commands.iter().map(|(n, s)| (n.as_str(), s)).collect();
        all.sort_unstable_by_key(|(name, _)| *name);
        all
    }

    /// A command ran for `usec` microseconds; `tracking` is `latency-tracking`.
    pub fn ran(&mut self, name: &str, usec: u64, failed: bool, tracking: bool) {
        let stat = self.stat(name);
        stat.calls += 1;
        stat.usec += usec;
        stat.failed += u64::from(failed);
        if tracking {
            stat.latency.record(usec.saturating_mul(1000));
        }
    }

    pub fn rejected(&mut self, name: &str) {
        self.stat(name).rejected += 1;
    }

    /// An error reply was sent: counted by its code, the first word of the line.
    pub fn error_reply(&mut self, line: &str) {
        let code = line.split(' ').next().unwrap_or(line);
        self.error_replies += 1;
        match self.errors.get_mut(code) {
            Some(count) => *count += 1,
            None => {
                self.errors.insert(code.to_string(), 1);
            }
        }
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&mut self) {
        self.commands.clear();
        self.errors.clear();
        self.error_replies = 0;
    }
}
