//! rg-router's configuration: defaults, `--config file.toml`, `RG_` variables, flags.

use std::path::PathBuf;

use clap::Parser;
use rg_config::{ConfigError, LogFormat};
use rg_proto::GroupId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RouterConfig {
    pub nats_url: String,
    pub subject_prefix: String,
    /// The replication group routed to.
    pub group: String,
    pub bind: String,
    /// Writes to the primary, reads across replicas, read-your-writes per connection.
    pub smart_port: u16,
    /// Everything to the primary.
    pub primary_port: u16,
    /// Reads across replicas; writes refused.
    pub reader_port: u16,
    /// Prometheus `/metrics` over HTTP; 0 turns it off.
    pub metrics_port: u16,
    /// The router's own AZ, for `az-local`.
    pub az: String,
    /// `least-outstanding` or `round-robin`.
    pub read_policy: String,
    /// Prefer replicas in the router's AZ, then the others.
    pub az_local: bool,
    /// Replicas further behind than this serve no reads.
    pub max_replica_lag_ms: u64,
    /// Writes that arrive while no primary is reachable wait this long, then get an error.
    pub failover_hold_ms: u64,
    /// A node that leaves a command on a shared connection unanswered this long is taken
    /// for dead: the connection is closed and what was in flight gets an error.
    pub backend_timeout_ms: u64,
    /// Password clients must give (AUTH); empty means none.
    pub requirepass: String,
    /// Password the router gives the nodes; empty means none.
    pub node_password: String,
    pub maxclients: usize,
    /// Largest argument a client may send.
    pub proto_max_bulk_len: usize,
    /// Threads serving sockets; 0 means one per core.
    pub threads: usize,
    pub log_format: LogFormat,
    pub log_level: String,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            nats_url: "nats://127.0.0.1:4222".into(),
            subject_prefix: rg_proto::subjects::DEFAULT_PREFIX.into(),
            group: String::new(),
            bind: "127.0.0.1".into(),
            smart_port: 6379,
            primary_port: 6380,
            reader_port: 6381,
            metrics_port: 9121,
            az: String::new(),
            read_policy: "least-outstanding".into(),
            az_local: true,
            max_replica_lag_ms: 1000,
            failover_hold_ms: 10_000,
            backend_timeout_ms: 5_000,
            requirepass: String::new(),
            node_password: String::new(),
            maxclients: 10_000,
            proto_max_bulk_len: 512 * 1024 * 1024,
            threads: 1,
            log_format: LogFormat::Human,
            log_level: "info".into(),
        }
    }
}

#[derive(Debug, Parser, Serialize)]
#[command(name = "rg-router", version, about = "rgroup's router")]
#[serde(rename_all = "kebab-case")]
pub struct Flags {
    #[arg(long)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smart_port: Option<u16>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_port: Option<u16>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reader_port: Option<u16>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_port: Option<u16>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_policy: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az_local: Option<bool>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replica_lag_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_hold_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_timeout_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirepass: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_password: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxclients: Option<usize>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPolicy {
    RoundRobin,
    LeastOutstanding,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub nats_url: String,
    pub prefix: String,
    pub group: GroupId,
    pub bind: String,
    pub smart_port: u16,
    pub primary_port: u16,
    pub reader_port: u16,
    pub metrics_port: u16,
    pub az: String,
    pub read_policy: ReadPolicy,
    pub az_local: bool,
    pub max_replica_lag_ms: u64,
    pub failover_hold_ms: u64,
    pub backend_timeout_ms: u64,
    pub requirepass: Option<String>,
    pub node_password: Option<String>,
    pub maxclients: usize,
    pub proto_max_bulk_len: usize,
    pub threads: usize,
}

impl RouterConfig {
    pub fn load(flags: &Flags) -> Result<(RouterConfig, Settings), ConfigError> {
        let config: RouterConfig =
            rg_config::load(&RouterConfig::default(), flags.config.as_deref(), flags)?;
        let settings = config.settings()?;
        Ok((config, settings))
    }

    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let rejected =
            |setting: &'static str, reason: String| ConfigError::Rejected { setting, reason };
        let group = GroupId::new(&self.group).map_err(|e| rejected("group", e.to_string()))?;
        let read_policy = match self.read_policy.as_str() {
            "round-robin" => ReadPolicy::RoundRobin,
            "least-outstanding" => ReadPolicy::LeastOutstanding,
            other => {
                return Err(rejected(
                    "read-policy",
                    format!("'{other}' is not one of least-outstanding, round-robin"),
                ))
            }
        };
        let ports = [self.smart_port, self.primary_port, self.reader_port];
        if ports.contains(&0)
            || ports[0] == ports[1]
            || ports[1] == ports[2]
            || ports[0] == ports[2]
        {
            return Err(rejected(
                "smart-port",
                "the three endpoint ports must be set and differ".into(),
            ));
        }
        if self.backend_timeout_ms == 0 {
            return Err(rejected("backend-timeout-ms", "must be at least 1".into()));
        }
        if self.maxclients == 0 {
            return Err(rejected("maxclients", "must be at least 1".into()));
        }
        if self.proto_max_bulk_len < 1024 * 1024 {
            return Err(rejected(
                "proto-max-bulk-len",
                "must be at least 1048576".into(),
            ));
        }
        let optional = |text: &str| (!text.is_empty()).then(|| text.to_string());
        Ok(Settings {
            nats_url: self.nats_url.clone(),
            prefix: self.subject_prefix.clone(),
            group,
            bind: self.bind.clone(),
            smart_port: self.smart_port,
            primary_port: self.primary_port,
            reader_port: self.reader_port,
            metrics_port: self.metrics_port,
            az: self.az.clone(),
            read_policy,
            az_local: self.az_local,
            max_replica_lag_ms: self.max_replica_lag_ms,
            failover_hold_ms: self.failover_hold_ms,
            backend_timeout_ms: self.backend_timeout_ms,
            requirepass: optional(&self.requirepass),
            node_password: optional(&self.node_password),
            maxclients: self.maxclients,
            proto_max_bulk_len: self.proto_max_bulk_len,
            threads: self.threads,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_setting() {
        let config = RouterConfig {
            group: "g".into(),
            read_policy: "random".into(),
            ..Default::default()
        };
        let error = config.settings().unwrap_err().to_string();
        assert!(error.contains("read-policy"), "{error}");
        let config = RouterConfig {
            group: "g".into(),
            reader_port: 6379,
            ..Default::default()
        };
        assert!(config.settings().is_err());
        let config = RouterConfig::default();
        assert!(config.settings().unwrap_err().to_string().contains("group"));
    }
}
