//! rg-node's configuration: defaults, then `--config file.toml`, then `RG_` environment
//! variables, then flags. Names follow Redis's (`maxmemory-policy`, `requirepass`...).

use std::path::PathBuf;

use clap::Parser;
use rg_config::{ConfigError, LogFormat};
use serde::{Deserialize, Serialize};

use rg_proto::{GroupId, NodeId};

use crate::engine::settings::{deserialize_memory, Settings};
use crate::replication::ReplicationConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NodeConfig {
    /// Address to listen on.
    pub bind: String,
    /// Client port.
    pub port: u16,
    /// Memory limit in bytes (units like `100mb` accepted); 0 means no limit.
    #[serde(deserialize_with = "deserialize_memory")]
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: u32,
    pub maxclients: usize,
    /// Password of the `default` user; empty means no authentication.
    pub requirepass: String,
    /// Background task frequency (active expiry), per second.
    pub hz: u32,
    /// Seconds of idleness after which a client is closed; 0 never.
    pub timeout: u64,
    /// Largest bulk string a client may send.
    #[serde(deserialize_with = "deserialize_memory")]
    pub proto_max_bulk_len: u64,
    pub log_format: LogFormat,
    pub log_level: String,
    /// NATS URL(s) of the bus, comma-separated for a cluster; empty runs standalone.
    pub nats_url: String,
    /// Subject prefix on the bus.
    pub subject_prefix: String,
    /// The replication group this node belongs to (needed with `nats-url`).
    pub group: String,
    /// This node's id in its group (needed with `nats-url`).
    pub node_id: String,
    /// Availability-zone label, reported in heartbeats.
    pub az: String,
    /// The host clients reach this node on; empty means `bind`.
    pub announce_host: String,
    /// The port clients reach this node on; 0 means `port`.
    pub announce_port: u16,
    /// Start as a replica of this node id; empty starts as a primary.
    pub replicaof: String,
    /// Bytes of stream kept for partial resyncs.
    #[serde(deserialize_with = "deserialize_memory")]
    pub repl_backlog_size: u64,
    /// Milliseconds between heartbeats.
    pub heartbeat_ms: u64,
    /// The group's sentinel ids, comma-separated; empty turns fencing off.
    pub sentinels: String,
    /// A primary that sees no majority of `sentinels` for this long refuses writes; 0 off.
    pub fence_timeout_ms: u64,
    /// A primary refuses writes unless this many replicas acked recently (0: off).
    pub min_replicas_to_write: u32,
    /// Seconds within which a replica's ack counts for `min-replicas-to-write`.
    pub min_replicas_max_lag: u32,
    /// The same in milliseconds when not 0 (it then wins).
    pub min_replicas_max_lag_ms: u64,
    /// A primary answers a write only once this many replicas hold it (0: asynchronous).
    pub sync_replicas: u32,
    /// Milliseconds a write waits for `sync-replicas` acks before an error answers it.
    pub sync_timeout_ms: u64,
    /// Failover preference: lower is promoted first, 0 never.
    pub replica_priority: u32,
    /// Keyspace event classes published (Redis's letters, e.g. `KEA`); empty: none.
    pub notify_keyspace_events: String,
    /// Keys the client-side caching table remembers; 0: no limit.
    pub tracking_table_max_keys: u64,
    /// Threads that serve client sockets; 0 means one per core. The engine itself is serial
    /// (one lock), so more threads only help when socket work dominates; on small machines
    /// the client load generator needs the other cores, and 1 measured fastest.
    pub threads: usize,
}

impl Default for NodeConfig {
    fn default() -> Self {
        let settings = Settings::default();
        NodeConfig {
            bind: settings.bind,
            port: settings.port,
            maxmemory: settings.maxmemory,
            maxmemory_policy: settings.maxmemory_policy.to_string(),
            maxmemory_samples: settings.maxmemory_samples,
            maxclients: settings.maxclients,
            requirepass: String::new(),
            hz: settings.hz,
            timeout: settings.timeout,
            proto_max_bulk_len: settings.proto_max_bulk_len,
            log_format: LogFormat::Human,
            log_level: "info".into(),
            threads: 1,
            nats_url: String::new(),
            subject_prefix: rg_proto::subjects::DEFAULT_PREFIX.into(),
            group: String::new(),
            node_id: String::new(),
            az: String::new(),
            announce_host: String::new(),
            announce_port: 0,
            replicaof: String::new(),
            repl_backlog_size: 64 * 1024 * 1024,
            heartbeat_ms: 100,
            sentinels: String::new(),
            fence_timeout_ms: 1000,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            min_replicas_max_lag_ms: 0,
            sync_replicas: 0,
            sync_timeout_ms: 1000,
            replica_priority: settings.replica_priority,
            notify_keyspace_events: String::new(),
            tracking_table_max_keys: settings.tracking_table_max_keys,
        }
    }
}

/// Command-line flags; each overrides the setting of the same name when given.
#[derive(Debug, Parser, Serialize)]
#[command(
    name = "rg-node",
    version,
    about = "rgroup's data node: a Redis-compatible in-memory engine"
)]
#[serde(rename_all = "kebab-case")]
pub struct Flags {
    /// A TOML file of settings (kebab-case names, as below).
    #[arg(long)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxmemory: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxmemory_policy: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxmemory_samples: Option<u32>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxclients: Option<usize>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirepass: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hz: Option<u32>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto_max_bulk_len: Option<String>,
    /// `human` or `json`.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_prefix: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announce_host: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announce_port: Option<u16>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicaof: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repl_backlog_size: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinels: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fence_timeout_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replicas_to_write: Option<u32>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replicas_max_lag: Option<u32>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replicas_max_lag_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_replicas: Option<u32>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_timeout_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_priority: Option<u32>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_keyspace_events: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_table_max_keys: Option<u64>,
}

impl NodeConfig {
    /// Loads and validates the configuration the flags point at.
    pub fn load(flags: &Flags) -> Result<NodeConfig, ConfigError> {
        let config: NodeConfig =
            rg_config::load(&NodeConfig::default(), flags.config.as_deref(), flags)?;
        config.settings()?;
        config.replication()?;
        Ok(config)
    }

    /// The engine's settings, each value checked with the same rules CONFIG SET applies.
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let mut settings = Settings {
            bind: self.bind.clone(),
            port: self.port,
            threads: self.threads,
            log_format: format!("{:?}", self.log_format).to_ascii_lowercase(),
            log_level: self.log_level.clone(),
            ..Settings::default()
        };
        let pairs = [
            ("maxmemory", self.maxmemory.to_string()),
            ("maxmemory-policy", self.maxmemory_policy.clone()),
            ("maxmemory-samples", self.maxmemory_samples.to_string()),
            ("maxclients", self.maxclients.to_string()),
            ("requirepass", self.requirepass.clone()),
            ("hz", self.hz.to_string()),
            ("timeout", self.timeout.to_string()),
            ("proto-max-bulk-len", self.proto_max_bulk_len.to_string()),
            (
                "min-replicas-to-write",
                self.min_replicas_to_write.to_string(),
            ),
            (
                "min-replicas-max-lag",
                self.min_replicas_max_lag.to_string(),
            ),
            (
                "min-replicas-max-lag-ms",
                self.min_replicas_max_lag_ms.to_string(),
            ),
            ("sync-replicas", self.sync_replicas.to_string()),
            ("sync-timeout-ms", self.sync_timeout_ms.to_string()),
            ("replica-priority", self.replica_priority.to_string()),
            (
                "notify-keyspace-events",
                self.notify_keyspace_events.clone(),
            ),
            (
                "tracking-table-max-keys",
                self.tracking_table_max_keys.to_string(),
            ),
        ];
        for (setting, value) in pairs {
            settings
                .set(setting, &value)
                .map_err(|reason| ConfigError::Rejected { setting, reason })?;
        }
        Ok(settings)
    }
}

impl NodeConfig {
    /// How to join the bus, or None for a standalone node.
    pub fn replication(&self) -> Result<Option<ReplicationConfig>, ConfigError> {
        if self.nats_url.is_empty() {
            return Ok(None);
        }
        let rejected =
            |setting: &'static str, reason: String| ConfigError::Rejected { setting, reason };
        let group = GroupId::new(&self.group).map_err(|e| rejected("group", e.to_string()))?;
        let node = NodeId::new(&self.node_id).map_err(|e| rejected("node-id", e.to_string()))?;
        let follow = match self.replicaof.as_str() {
            "" => None,
            id => Some(NodeId::new(id).map_err(|e| rejected("replicaof", e.to_string()))?),
        };
        if follow.as_ref() == Some(&node) {
            return Err(rejected(
                "replicaof",
                "a node cannot replicate itself".into(),
            ));
        }
        if self.heartbeat_ms == 0 {
            return Err(rejected("heartbeat-ms", "must be at least 1".into()));
        }
        let sentinels = NodeId::parse_list(&self.sentinels)
            .map_err(|e| rejected("sentinels", e.to_string()))?;
        let host = if self.announce_host.is_empty() {
            &self.bind
        } else {
            &self.announce_host
        };
        let port = if self.announce_port == 0 {
            self.port
        } else {
            self.announce_port
        };
        Ok(Some(ReplicationConfig {
            nats_url: self.nats_url.clone(),
            prefix: self.subject_prefix.clone(),
            group,
            node,
            az: self.az.clone(),
            address: format!("{host}:{port}"),
            follow,
            backlog_size: self.repl_backlog_size.max(1024 * 1024) as usize,
            heartbeat: std::time::Duration::from_millis(self.heartbeat_ms),
            sentinels,
            fence_timeout_ms: self.fence_timeout_ms,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_setting() {
        let config = NodeConfig {
            maxmemory_policy: "sometimes".into(),
            ..NodeConfig::default()
        };
        let error = config.settings().unwrap_err().to_string();
        assert!(
            error.starts_with("invalid value for 'maxmemory-policy'"),
            "{error}"
        );
        let config = NodeConfig {
            hz: 0,
            ..NodeConfig::default()
        };
        assert!(config.settings().unwrap_err().to_string().contains("'hz'"));
    }

    #[test]
    fn defaults_are_valid() {
        let settings = NodeConfig::default().settings().unwrap();
        assert_eq!(settings.maxclients, 10000);
        assert_eq!(settings.port, 6379);
    }
}
