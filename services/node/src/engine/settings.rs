//! The settings a running node can read and change (CONFIG GET / CONFIG SET), with the
//! parsers that config loading shares so a value means the same everywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

mod extra;
mod parse;
mod redis_table;

pub use self::extra::Extra;
use self::parse::{bounded, parse_percentiles, percentiles_text};
pub use self::parse::{
    deserialize_memory, long_long, parse_memory, parse_yes_no, percentile_text, yes_no,
};

/// What to do when `maxmemory` is reached, with Redis's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    #[default]
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

const POLICY_NAMES: [(Policy, &str); 8] = [
    (Policy::NoEviction, "noeviction"),
    (Policy::AllKeysLru, "allkeys-lru"),
    (Policy::AllKeysLfu, "allkeys-lfu"),
    (Policy::AllKeysRandom, "allkeys-random"),
    (Policy::VolatileLru, "volatile-lru"),
    (Policy::VolatileLfu, "volatile-lfu"),
    (Policy::VolatileRandom, "volatile-random"),
    (Policy::VolatileTtl, "volatile-ttl"),
];

impl Policy {
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    /// Only keys with an expiry may be evicted.
    pub fn is_volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        POLICY_NAMES
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(text))
            .map(|(policy, _)| *policy)
            .ok_or_else(|| {
                let names: Vec<&str> = POLICY_NAMES.iter().map(|(_, n)| *n).collect();
                format!(
                    "unknown policy '{text}' (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = POLICY_NAMES
            .iter()
            .find(|(p, _)| p == self)
            .map(|(_, n)| *n);
        f.write_str(name.unwrap_or("noeviction"))
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Settings that CONFIG GET reports and, where marked, CONFIG SET changes at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub port: u16,
    pub maxmemory: u64,
    pub maxmemory_policy: Policy,
    pub maxmemory_samples: u32,
    pub maxclients: usize,
    pub requirepass: Option<String>,
    pub hz: u32,
    /// Idle seconds before a client is closed; 0 never.
    pub timeout: u64,
    pub proto_max_bulk_len: u64,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    /// Refuse writes unless this many replicas acked within `min_replicas_max_lag` seconds.
    pub min_replicas_to_write: u32,
    pub min_replicas_max_lag: u32,
    /// When set, the same bound in milliseconds (beyond Redis): a primary cut off from its
    /// replicas stops acknowledging writes within a fraction of a second.
    pub min_replicas_max_lag_ms: u64,
    /// A primary answers a write only once this many replicas hold it (0: asynchronous).
    pub sync_replicas: u32,
    /// How long a write waits for `sync_replicas` acks before it is answered with an error.
    pub sync_timeout_ms: u64,
    /// A script running longer than this (ms) makes others get BUSY and may be killed
    /// (Redis's `busy-reply-threshold`, once `lua-time-limit`); 0: never.
    pub busy_reply_threshold: u64,
    /// Failover preference: lower is promoted first, 0 never (Redis's `replica-priority`).
    pub replica_priority: u32,
    /// Fixed at start (reported by CONFIG GET only).
    pub threads: usize,
    pub log_format: String,
    pub log_level: String,
    /// Commands at least this slow (µs) enter the slow log; negative: none, 0: all.
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// Commands at least this slow (ms) are latency events; 0: off.
    pub latency_monitor_threshold: u64,
    /// Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM).
    pub latency_tracking: bool,
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// Redis's other settings, known by default and validation (see `extra`).
    pub extra: Extra,
    /// Which keyspace events are published (`notify-keyspace-events`); empty by default.
    pub notify_keyspace_events: super::notify::Class,
    /// Keys the client-side caching table remembers before it forgets (and invalidates)
    /// some; 0: no limit.
    pub tracking_table_max_keys: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1".into(),
            port: 6379,
            maxmemory: 0,
            maxmemory_policy: Policy::NoEviction,
            maxmemory_samples: 5,
            maxclients: 10000,
            requirepass: None,
            hz: 10,
            timeout: 0,
            proto_max_bulk_len: 512 * 1024 * 1024,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            min_replicas_max_lag_ms: 0,
            sync_replicas: 0,
            sync_timeout_ms: 1000,
            busy_reply_threshold: 5000,
            replica_priority: 100,
            threads: 1,
            log_format: "human".into(),
            log_level: "info".into(),
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            extra: Extra::default(),
            notify_keyspace_events: Default::default(),
            tracking_table_max_keys: 1_000_000,
        }
    }
}

/// The names CONFIG knows, in the order CONFIG GET * lists them.
pub const NAMES: &[&str] = &[
    "bind",
    "port",
    "databases",
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxclients",
    "requirepass",
    "hz",
    "timeout",
    "proto-max-bulk-len",
    "lfu-log-factor",
    "lfu-decay-time",
    "min-replicas-to-write",
    "min-replicas-max-lag",
    "min-replicas-max-lag-ms",
    "sync-replicas",
    "sync-timeout-ms",
    "busy-reply-threshold",
    "lua-time-limit",
    "replica-priority",
    "threads",
    "log-format",
    "log-level",
    "save",
    "appendonly",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
    "latency-tracking",
    "latency-tracking-info-percentiles",
    "slave-priority",
    "min-slaves-to-write",
    "min-slaves-max-lag",
    "notify-keyspace-events",
    "tracking-table-max-keys",
];

/// Every name CONFIG knows: rg-node's own, then Redis's others.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    NAMES.iter().copied().chain(extra::names())
}

pub fn is_known(name: &str) -> bool {
    NAMES.contains(&name) || Extra::knows(name)
}

impl Settings {
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match name {
            "bind" => self.bind.clone(),
            "port" => self.port.to_string(),
            "databases" => super::DATABASES.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.maxmemory_policy.to_string(),
            "maxmemory-samples" => self.maxmemory_samples.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "requirepass" => self.requirepass.clone().unwrap_or_default(),
            "hz" => self.hz.to_string(),
            "timeout" => self.timeout.to_string(),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "lfu-log-factor" => self.lfu_log_factor.to_string(),
            "lfu-decay-time" => self.lfu_decay_time.to_string(),
            "min-replicas-to-write" | "min-slaves-to-write" => {
                self.min_replicas_to_write.to_string()
            }
            "min-replicas-max-lag" | "min-slaves-max-lag" => self.min_replicas_max_lag.to_string(),
            "min-replicas-max-lag-ms" => self.min_replicas_max_lag_ms.to_string(),
            "sync-replicas" => self.sync_replicas.to_string(),
            "sync-timeout-ms" => self.sync_timeout_ms.to_string(),
            "busy-reply-threshold" | "lua-time-limit" => self.busy_reply_threshold.to_string(),
            "replica-priority" | "slave-priority" => self.replica_priority.to_string(),
            "threads" => self.threads.to_string(),
            "log-format" => self.log_format.clone(),
            "log-level" => self.log_level.clone(),
            // rgroup keeps no files: persistence is replication.
            "save" => String::new(),
            "appendonly" => "no".into(),
            "notify-keyspace-events" => super::notify::format(self.notify_keyspace_events),
            "tracking-table-max-keys" => self.tracking_table_max_keys.to_string(),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "latency-monitor-threshold" => self.latency_monitor_threshold.to_string(),
            "latency-tracking" => yes_no(self.latency_tracking),
            "latency-tracking-info-percentiles" => {
                percentiles_text(&self.latency_tracking_info_percentiles)
            }
            _ => return self.extra.get(name),
        };
        Some(value)
    }

    /// Changes one setting; the error names what is wrong, for `ERR CONFIG SET failed`.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "maxmemory" => self.maxmemory = parse_memory(value)?,
            "maxmemory-policy" => self.maxmemory_policy = value.parse()?,
            "maxmemory-samples" => self.maxmemory_samples = bounded(value, 1, 64)?,
            "maxclients" => self.maxclients = bounded(value, 1, 1_000_000)? as usize,
            "requirepass" => {
                self.requirepass = (!value.is_empty()).then(|| value.to_string());
            }
            "hz" => self.hz = bounded(value, 1, 500)?,
            "timeout" => self.timeout = u64::from(bounded(value, 0, u32::MAX)?),
            "proto-max-bulk-len" => {
                let len = parse_memory(value)?;
                if len < 1024 * 1024 {
                    return Err("proto-max-bulk-len must be at least 1mb".into());
                }
                self.proto_max_bulk_len = len;
            }
            "lfu-log-factor" => self.lfu_log_factor = bounded(value, 0, 1_000_000)?,
            "lfu-decay-time" => self.lfu_decay_time = bounded(value, 0, 1_000_000)?,
            "min-replicas-to-write" | "min-slaves-to-write" => {
                self.min_replicas_to_write = bounded(value, 0, 1000)?
            }
            "min-replicas-max-lag" | "min-slaves-max-lag" => {
                self.min_replicas_max_lag = bounded(value, 0, 86_400)?
            }
            "min-replicas-max-lag-ms" => {
                self.min_replicas_max_lag_ms = u64::from(bounded(value, 0, 86_400_000)?);
            }
            "sync-replicas" => self.sync_replicas = bounded(value, 0, 1000)?,
            "sync-timeout-ms" => {
                self.sync_timeout_ms = u64::from(bounded(value, 1, 3_600_000)?);
            }
            "busy-reply-threshold" | "lua-time-limit" => {
                self.busy_reply_threshold = u64::from(bounded(value, 0, i32::MAX as u32)?);
            }
            "replica-priority" | "slave-priority" => {
                self.replica_priority = bounded(value, 0, i32::MAX as u32)?;
            }
            "slowlog-log-slower-than" => {
                self.slowlog_log_slower_than = long_long(value, -1, i64::MAX)?;
            }
            "slowlog-max-len" => self.slowlog_max_len = long_long(value, 0, i64::MAX)? as u64,
            "latency-monitor-threshold" => {
                self.latency_monitor_threshold = long_long(value, 0, i64::MAX)? as u64;
            }
            "latency-tracking" => self.latency_tracking = parse_yes_no(value)?,
            "latency-tracking-info-percentiles" => {
                self.latency_tracking_info_percentiles = parse_percentiles(value)?;
            }
            "notify-keyspace-events" => {
                self.notify_keyspace_events = super::notify::parse(value)?;
            }
            "tracking-table-max-keys" => {
                self.tracking_table_max_keys = long_long(value, 0, i64::MAX)? as u64;
            }
            "save" | "appendonly" if value.is_empty() || value == "no" => {}
            "bind" | "port" | "databases" | "save" | "appendonly" | "threads" | "log-format"
            | "log-level" => return Err("can't set immutable config".into()),
            _ => return self.extra.set(name, value),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_with_redis_units() {
        assert_eq!(parse_memory("100"), Ok(100));
        assert_eq!(parse_memory("1k"), Ok(1000));
        assert_eq!(parse_memory("1kb"), Ok(1024));
        assert_eq!(parse_memory("2GB"), Ok(2 * 1024 * 1024 * 1024));
        assert!(parse_memory("12q").is_err());
        assert!(parse_memory("-1").is_err());
    }

    #[test]
    fn every_parameter_a_parameter_group_may_set_is_a_live_setting() {
        let mut settings = Settings::default();
        for name in rg_proto::registry::LIVE_PARAMETERS {
            let value = settings
                .get(name)
                .unwrap_or_else(|| panic!("{name} unknown"));
            settings
                .set(name, &value)
                .unwrap_or_else(|e| panic!("{name} is not settable live: {e}"));
        }
    }

    #[test]
    fn settings_round_trip_through_get_and_set() {
        let mut settings = Settings::default();
        settings.set("maxmemory-policy", "allkeys-lru").unwrap();
        assert_eq!(settings.get("maxmemory-policy").unwrap(), "allkeys-lru");
        assert!(settings.set("maxmemory-policy", "sometimes").is_err());
        assert!(settings.set("hz", "0").is_err());
        assert!(settings.set("port", "1").is_err());
    }
}
