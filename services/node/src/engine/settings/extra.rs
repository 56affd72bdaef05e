//! Redis settings rg-node knows by name, default and validation only (see `redis_table`):
//! CONFIG GET reports them and CONFIG SET checks and keeps a new value, so tools that set
//! them (persistence, TLS, lazyfree...) get Redis's answers. The encoding thresholds among
//! them are read by OBJECT ENCODING.

use std::collections::BTreeMap;

use super::redis_table::{ALIASES, SETTINGS};
use super::{long_long, parse_memory, parse_yes_no};

/// How CONFIG SET validates a value, with Redis's messages.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    Int(i64, i64),
    /// Bytes, written with or without a unit (`1kb`), reported as a number.
    Memory(u64, u64),
    /// A memory size or a percentage of `maxmemory` (`10%`).
    MemoryOrPercent,
    Enum(&'static [&'static str]),
    /// Any text (file names, TLS options, ...).
    Text,
    Immutable,
    /// Redis refuses these unless `enable-protected-configs` was set at start.
    Protected,
}

#[derive(Debug, Clone)]
pub struct Extra {
    values: BTreeMap<&'static str, String>,
    limits: Limits,
}

/// The entry counts past which Redis leaves a container's compact encoding, kept typed:
/// every write checks them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub hash_entries: usize,
    pub set_intset_entries: usize,
    pub zset_entries: usize,
}

impl Default for Extra {
    fn default() -> Self {
        let values = SETTINGS
            .iter()
            .map(|(name, default, _)| (*name, default.to_string()))
            .collect();
        let mut extra = Extra {
            values,
            limits: Limits::default(),
        };
        extra.update_limits();
        extra
    }
}

/// The name a setting is kept under (an alias's target, or the name itself).
fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, target)| target)
}

fn kind(name: &str) -> Option<Kind> {
    SETTINGS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, kind)| *kind)
}

/// Every name, aliases included.
pub fn names() -> impl Iterator<Item = &'static str> {
    SETTINGS
        .iter()
        .map(|(name, _, _)| *name)
        .chain(ALIASES.iter().map(|(alias, _)| *alias))
}

impl Extra {
    pub fn get(&self, name: &str) -> Option<String> {
        let name = canonical(name);
        if name == "dir" {
            // The working directory, as Redis reports its own.
            let dir = std::env::current_dir().ok()?;
            return Some(dir.to_string_lossy().into_owned());
        }
        self.values.get(name).cloned()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn update_limits(&mut self) {
        let count = |name| usize::try_from(self.int(name)).unwrap_or(usize::MAX);
        self.limits = Limits {
            hash_entries: count("hash-max-listpack-entries"),
            set_intset_entries: count("set-max-intset-entries"),
            zset_entries: count("zset-max-listpack-entries"),
        };
    }

    /// An integer setting's value (the encoding thresholds); 0 if unknown.
    pub fn int(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    pub fn knows(name: &str) -> bool {
        kind(canonical(name)).is_some()
    }

    /// Validates and keeps a value; the error is Redis's reason.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let name = canonical(name);
        let kind = kind(name).ok_or("Unknown option or number of arguments for CONFIG SET")?;
        let mut stored = check(kind, value)?;
        if name == "repl-backlog-size" {
            // Redis's floor for the backlog (CONFIG_REPL_BACKLOG_MIN_SIZE).
            stored = stored
                .parse::<u64>()
                .map_or(stored, |n| n.max(16 * 1024).to_string());
        }
        if name == "activedefrag" && stored == "yes" {
            // rg-node cannot defragment (no jemalloc), as a Redis built without it cannot.
            return Err(
                "Active defragmentation cannot be enabled: it requires a Redis server \
                        compiled with a modified Jemalloc like the one shipped by default with \
                        the Redis source distribution"
                    .into(),
            );
        }
        if let Some(slot) = self.values.get_mut(name) {
            *slot = stored;
        }
        self.update_limits();
        Ok(())
    }
}

/// The value as CONFIG GET will report it, or why it is refused.
fn check(kind: Kind, value: &str) -> Result<String, String> {
    match kind {
        Kind::Bool => Ok(super::yes_no(parse_yes_no(value)?)),
        Kind::Int(min, max) => Ok(long_long(value, min, max)?.to_string()),
        Kind::Memory(min, max) => memory(value, min, max).map(|n| n.to_string()),
        Kind::MemoryOrPercent => match value.strip_suffix('%') {
            Some(p) if p.parse::<u32>().is_ok() => Ok(value.to_string()),
            _ => parse_memory(value)
                .map(|n| n.to_string())
                .map_err(|_| "argument must be a memory or percent value".into()),
        },
        Kind::Enum(names) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(value))
            .map(|n| n.to_string())
            .ok_or_else(|| {
                format!(
                    "argument(s) must be one of the following: {}",
                    names.join(", ")
                )
            }),
        Kind::Text => Ok(value.to_string()),
        Kind::Immutable => Err("can't set immutable config".into()),
        Kind::Protected => Err("can't set protected config".into()),
    }
}

fn memory(value: &str, min: u64, max: u64) -> Result<u64, String> {
    let bytes = parse_memory(value).map_err(|_| "argument must be a memory value".to_string())?;
    if bytes < min || bytes > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_reported_as_redis_does() {
        let mut extra = Extra::default();
        assert_eq!(
            extra.get("hash-max-ziplist-entries").as_deref(),
            Some("512")
        );
        extra.set("hash-max-ziplist-entries", "10").unwrap();
        assert_eq!(
            extra.get("hash-max-listpack-entries").as_deref(),
            Some("10")
        );
        extra.set("hash-max-listpack-value", "1kb").unwrap();
        assert_eq!(extra.int("hash-max-listpack-value"), 1024);
        assert_eq!(
            extra.set("activerehashing", "maybe"),
            Err("argument must be 'yes' or 'no'".into())
        );
        extra.set("activerehashing", "NO").unwrap();
        assert_eq!(extra.get("activerehashing").as_deref(), Some("no"));
        assert_eq!(
            extra.set("appendfsync", "never"),
            Err("argument(s) must be one of the following: everysec, always, no".into())
        );
        assert_eq!(
            extra.set("daemonize", "yes"),
            Err("can't set immutable config".into())
        );
        assert_eq!(
            extra.set("client-query-buffer-limit", "1"),
            Err("argument must be between 1048576 and 9223372036854775807 inclusive".into())
        );
        assert!(Extra::knows("lazyfree-lazy-expire") && !Extra::knows("nope"));
    }
}
