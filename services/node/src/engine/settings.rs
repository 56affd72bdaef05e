//! The settings a running node can read and change (CONFIG GET / CONFIG SET), with the
//! parsers that config loading shares so a value means the same everywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

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

/// Parses a memory size as Redis does: a plain number of bytes, or with a unit
/// (`k`, `kb`, `m`, `mb`, `g`, `gb`; `k` is 1000 and `kb` 1024).
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let multiplier: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(format!("invalid memory size '{text}'")),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("invalid memory size '{text}'"))?;
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("memory size '{text}' is too large"))
}

/// Accepts a memory size as a number or as a string with a unit, in config files.
pub fn deserialize_memory<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Size::deserialize(deserializer)? {
        Size::Number(n) => Ok(n),
        Size::Text(text) => parse_memory(&text).map_err(serde::de::Error::custom),
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
    "notify-keyspace-events",
    "tracking-table-max-keys",
];

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
            "min-replicas-to-write" => self.min_replicas_to_write.to_string(),
            "min-replicas-max-lag" => self.min_replicas_max_lag.to_string(),
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
            _ => return None,
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
            "min-replicas-to-write" => self.min_replicas_to_write = bounded(value, 0, 1000)?,
            "min-replicas-max-lag" => self.min_replicas_max_lag = bounded(value, 0, 86_400)?,
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
            "notify-keyspace-events" => {
                self.notify_keyspace_events = super::notify::parse(value)?;
            }
            "tracking-table-max-keys" => {
                self.tracking_table_max_keys = u64::from(bounded(value, 0, i32::MAX as u32)?);
            }
            "save" | "appendonly" if value.is_empty() || value == "no" => {}
            "bind" | "port" | "databases" | "save" | "appendonly" | "threads" | "log-format"
            | "log-level" => return Err("can't set immutable config".into()),
            _ => return Err("Unknown option or number of arguments for CONFIG SET".into()),
        }
        Ok(())
    }
}

fn bounded(value: &str, min: u32, max: u32) -> Result<u32, String> {
    let number: u32 = value
        .parse()
        .map_err(|_| format!("argument couldn't be parsed into an integer: '{value}'"))?;
    if number < min || number > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(number)
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
