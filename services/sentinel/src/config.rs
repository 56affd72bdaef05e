//! rg-sentinel's configuration: defaults, `--config file.toml`, `RG_` variables, flags.

use std::path::PathBuf;

use clap::Parser;
use rg_config::{ConfigError, LogFormat};
use rg_proto::{GroupId, NodeId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SentinelConfig {
    /// This sentinel's id, one of `sentinels`.
    pub id: String,
    pub nats_url: String,
    pub subject_prefix: String,
    /// The replication groups watched, comma-separated; empty watches every group in the
    /// registry (rgctl create-replication-group), as they are created.
    pub group: String,
    /// The whole sentinel set, comma-separated: majorities are counted over it, never over
    /// whoever happens to answer.
    pub sentinels: String,
    /// Sentinels that must hold the primary down at once for a failover.
    pub quorum: usize,
    pub down_after_ms: u64,
    /// Wait this long before retrying a failover that did not complete.
    pub failover_timeout_ms: u64,
    pub heartbeat_ms: u64,
    /// Where `SENTINEL` commands are served over RESP (redis-cli, sentinel-aware clients);
    /// port 0 turns it off.
    pub bind: String,
    pub port: u16,
    /// Where the last vote is kept, so a restarted sentinel never votes twice in one epoch.
    pub state_dir: PathBuf,
    /// How long the bus keeps the public events (for `rgctl describe-events`).
    pub event_retention_days: u64,
    pub log_format: LogFormat,
    pub log_level: String,
}

impl Default for SentinelConfig {
    fn default() -> Self {
        SentinelConfig {
            id: String::new(),
            nats_url: "nats://127.0.0.1:4222".into(),
            subject_prefix: rg_proto::subjects::DEFAULT_PREFIX.into(),
            group: String::new(),
            sentinels: String::new(),
            quorum: 2,
            down_after_ms: 1000,
            failover_timeout_ms: 5000,
            heartbeat_ms: 100,
            bind: "127.0.0.1".into(),
            port: 26379,
            state_dir: PathBuf::from("."),
            event_retention_days: 14,
            log_format: LogFormat::Human,
            log_level: "info".into(),
        }
    }
}

#[derive(Debug, Parser, Serialize)]
#[command(name = "rg-sentinel", version, about = "rgroup's sentinel")]
#[serde(rename_all = "kebab-case")]
pub struct Flags {
    #[arg(long)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinels: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum: Option<usize>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_after_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_timeout_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<PathBuf>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_retention_days: Option<u64>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub id: NodeId,
    pub nats_url: String,
    pub prefix: String,
    /// Every group watched; each runs as its own sentinel sharing the bus and RESP port.
    /// Empty: every group in the registry.
    pub groups: Vec<GroupId>,
    /// The group this instance watches (one of `groups`).
    pub group: GroupId,
    pub sentinels: Vec<NodeId>,
    pub quorum: usize,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub heartbeat_ms: u64,
    pub bind: String,
    pub port: u16,
    pub state_dir: PathBuf,
    pub event_retention_days: u64,
}

impl Settings {
    /// These settings for watching `group`.
    pub fn for_group(&self, group: &GroupId) -> Settings {
        Settings {
            group: group.clone(),
            ..self.clone()
        }
    }

    /// What the sentinel's decisions depend on.
    pub fn rules(&self) -> rg_failover::Rules {
        rg_failover::Rules {
            id: self.id.clone(),
            group: self.group.clone(),
            sentinels: self.sentinels.clone(),
            quorum: self.quorum,
            down_after_ms: self.down_after_ms,
            failover_timeout_ms: self.failover_timeout_ms,
            heartbeat_ms: self.heartbeat_ms,
        }
    }

    /// Where to serve RESP, or None when turned off.
    pub fn resp_address(&self) -> Option<String> {
        (self.port != 0).then(|| format!("{}:{}", self.bind, self.port))
    }
}

impl SentinelConfig {
    pub fn load(flags: &Flags) -> Result<(SentinelConfig, Settings), ConfigError> {
        let config: SentinelConfig =
            rg_config::load(&SentinelConfig::default(), flags.config.as_deref(), flags)?;
        let settings = config.settings()?;
        Ok((config, settings))
    }

    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let rejected =
            |setting: &'static str, reason: String| ConfigError::Rejected { setting, reason };
        let id = NodeId::new(&self.id).map_err(|e| rejected("id", e.to_string()))?;
        let groups =
            GroupId::parse_list(&self.group).map_err(|e| rejected("group", e.to_string()))?;
        // With no group named, `group` is filled in per group found in the registry.
        let group = match groups.first() {
            Some(group) => group.clone(),
            None => GroupId::new("registry").map_err(|e| rejected("group", e.to_string()))?,
        };
        let sentinels = NodeId::parse_list(&self.sentinels)
            .map_err(|e| rejected("sentinels", e.to_string()))?;
        if !sentinels.contains(&id) {
            return Err(rejected(
                "sentinels",
                format!("must include this sentinel's id '{id}'"),
            ));
        }
        if self.quorum == 0 || self.quorum > sentinels.len() {
            return Err(rejected(
                "quorum",
                format!("must be between 1 and {}", sentinels.len()),
            ));
        }
        for (setting, value) in [
            ("down-after-ms", self.down_after_ms),
            ("failover-timeout-ms", self.failover_timeout_ms),
            ("heartbeat-ms", self.heartbeat_ms),
            ("event-retention-days", self.event_retention_days),
        ] {
            if value == 0 {
                return Err(rejected(setting, "must be at least 1".into()));
            }
        }
        Ok(Settings {
            id,
            nats_url: self.nats_url.clone(),
            prefix: self.subject_prefix.clone(),
            groups,
            group,
            sentinels,
            quorum: self.quorum,
            down_after_ms: self.down_after_ms,
            failover_timeout_ms: self.failover_timeout_ms,
            heartbeat_ms: self.heartbeat_ms,
            bind: self.bind.clone(),
            port: self.port,
            state_dir: self.state_dir.clone(),
            event_retention_days: self.event_retention_days,
        })
    }
}
