//! The command line, with `aws elasticache`'s verbs and flag names where they fit.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "rgctl", version, about = "Control rgroup replication groups")]
pub struct Cli {
    /// The bus; comma-separated URLs for a NATS cluster.
    #[arg(
        long,
        global = true,
        env = "RG_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// The first token of every subject.
    #[arg(long, global = true, env = "RG_SUBJECT_PREFIX", default_value = "rg")]
    pub subject_prefix: String,
    #[arg(long, global = true, value_enum, default_value_t = Output::Json)]
    pub output: Output,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Json,
    Table,
    Text,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Registers a replication group: its members, the primary asked for, its options.
    CreateReplicationGroup(Box<Create>),
    /// Shows groups as the bus sees them now: status, endpoints, roles, health, lag.
    DescribeReplicationGroups(Describe),
    /// Changes a group: a planned switchover to another primary, automatic failover on/off.
    ModifyReplicationGroup(Modify),
    /// Fails a healthy group over on purpose (a planned failover that loses nothing).
    TestFailover(TestFailover),
    /// The events kept on the bus (default: the last hour).
    DescribeEvents(DescribeEvents),
    /// Prints events as they happen.
    Events(Follow),
    /// Removes replicas: they leave the group and stop serving.
    DecreaseReplicaCount(DecreaseReplicas),
    /// Declares more replicas; start nodes with the names it prints.
    IncreaseReplicaCount(IncreaseReplicas),
    /// Removes the group: every node stops serving and its records are deleted.
    DeleteReplicationGroup(DeleteGroup),
    /// A health check for containers: exit 0 when the service answers (no bus needed).
    Probe(Probe),
    /// Creates a named set of parameters groups can use.
    CreateCacheParameterGroup(CreateParameters),
    /// Changes parameters; every node of every group using the set applies them at once.
    ModifyCacheParameterGroup(ModifyParameters),
    /// Shows a parameter group's values.
    DescribeCacheParameters(DescribeParameters),
}

#[derive(Debug, Args)]
pub struct CreateParameters {
    #[arg(long)]
    pub cache_parameter_group_name: String,
    #[arg(long, default_value = "redis7")]
    pub cache_parameter_group_family: String,
    #[arg(long, default_value = "")]
    pub description: String,
}

#[derive(Debug, Args)]
pub struct ModifyParameters {
    #[arg(long)]
    pub cache_parameter_group_name: String,
    /// ParameterName=N,ParameterValue=V; repeat for each.
    #[arg(long, num_args = 1.., required = true)]
    pub parameter_name_values: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DescribeParameters {
    #[arg(long)]
    pub cache_parameter_group_name: String,
}

#[derive(Debug, Args)]
pub struct Create {
    #[arg(long)]
    pub replication_group_id: String,
    #[arg(long)]
    pub replication_group_description: String,
    /// The node that starts as primary (else members are named <group>-001...).
    #[arg(long, default_value = "")]
    pub primary_cluster_id: String,
    /// A replica; repeat the flag for each.
    #[arg(long)]
    pub cache_cluster_id_for_replication: Vec<String>,
    /// Members in all; missing replicas are named <group>-002, <group>-003...
    #[arg(long)]
    pub num_cache_clusters: Option<usize>,
    /// The AZ of each member, in order (primary first); repeat or comma-separate.
    #[arg(long, value_delimiter = ',')]
    pub preferred_cache_cluster_a_zs: Vec<String>,
    #[arg(long, overrides_with = "no_automatic_failover_enabled")]
    pub automatic_failover_enabled: bool,
    #[arg(long)]
    pub no_automatic_failover_enabled: bool,
    #[arg(long)]
    pub multi_az_enabled: bool,
    #[arg(long)]
    pub no_multi_az_enabled: bool,
    #[arg(long, default_value = "")]
    pub cache_parameter_group: String,
    /// ddd:hh:mm-ddd:hh:mm
    #[arg(long, default_value = "")]
    pub preferred_maintenance_window: String,
    /// Key=K,Value=V; repeat for each tag.
    #[arg(long, num_args = 1..)]
    pub tags: Vec<String>,
    #[arg(long, default_value = "redis")]
    pub engine: String,
    #[arg(long)]
    pub engine_version: Option<String>,
    #[arg(long)]
    pub cache_node_type: Option<String>,
    #[arg(long, num_args = 1..)]
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Describe {
    #[arg(long)]
    pub replication_group_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct Modify {
    #[arg(long)]
    pub replication_group_id: String,
    /// Switch over to this replica (planned: nothing acknowledged is lost).
    #[arg(long)]
    pub primary_cluster_id: Option<String>,
    #[arg(long, conflicts_with = "no_automatic_failover_enabled")]
    pub automatic_failover_enabled: bool,
    #[arg(long)]
    pub no_automatic_failover_enabled: bool,
    /// Accepted for compatibility: rgroup applies every change at once.
    #[arg(long)]
    pub apply_immediately: bool,
    #[arg(long)]
    pub no_apply_immediately: bool,
}

#[derive(Debug, Args)]
pub struct TestFailover {
    #[arg(long)]
    pub replication_group_id: String,
    /// rgroup groups have one node group, 0001.
    #[arg(long, default_value = "0001")]
    pub node_group_id: String,
}

#[derive(Debug, Args)]
pub struct DescribeEvents {
    /// Only events about this group or node.
    #[arg(long)]
    pub source_identifier: Option<String>,
    /// How far back, in minutes.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
}

#[derive(Debug, Args)]
pub struct Follow {
    /// Keep printing events as they come (the only mode).
    #[arg(long)]
    pub follow: bool,
    #[arg(long)]
    pub replication_group_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct DecreaseReplicas {
    #[arg(long)]
    pub replication_group_id: String,
    /// The replicas to remove.
    #[arg(long, num_args = 1.., required = true)]
    pub replicas_to_remove: Vec<String>,
    /// Accepted for compatibility: rgroup applies every change at once.
    #[arg(long)]
    pub apply_immediately: bool,
}

#[derive(Debug, Args)]
pub struct IncreaseReplicas {
    #[arg(long)]
    pub replication_group_id: String,
    /// Replicas wanted in all.
    #[arg(long)]
    pub new_replica_count: usize,
    #[arg(long)]
    pub apply_immediately: bool,
}

#[derive(Debug, Args)]
pub struct DeleteGroup {
    #[arg(long)]
    pub replication_group_id: String,
}

#[derive(Debug, Args)]
pub struct Probe {
    /// host:port of an rg-node, rg-router endpoint or rg-sentinel: PING must answer.
    #[arg(long, conflicts_with = "http")]
    pub resp: Option<String>,
    /// A URL whose GET must answer 2xx (nats-server's /healthz, the router's /metrics).
    #[arg(long)]
    pub http: Option<String>,
}
