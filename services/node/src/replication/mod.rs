//! Replication over the bus: the async side. The engine keeps the stream, backlog and role
//! (`crate::engine::replication`); these tasks move bytes between nodes with rg-bus:
//!
//! - `heartbeat`: publishes this node's heartbeat and learns its peers' addresses;
//! - `primary`: publishes the stream in batches, answers resync requests (partial from the
//!   backlog, or a full snapshot pulled chunk by chunk), and records replicas' acks;
//! - `control`: answers promote / replicate-of / ping requests, refusing older epochs;
//! - `parameters`: applies the group's parameter group live, as it changes;
//! - `role`: without `--replicaof`, follows the primary the group's records name;
//! - `replica`: follows the primary's stream, detects gaps and duplicates from offsets, and
//!   resyncs by itself.
//!
//! Every task reads the role from the engine, so a role change (REPLICAOF, promote) takes
//! effect without restarting anything.

mod applier;
mod control;
mod events;
mod heartbeat;
mod parameters;
mod primary;
mod replica;
mod role;

use std::sync::Arc;
use std::time::Duration;

use rg_bus::Bus;
use rg_proto::{GroupId, NodeId, Subjects};

use crate::engine::replication::Fence;
use crate::server::Shared;

/// How a node joins its group on the bus.
#[derive(Debug, Clone)]
pub struct ReplicationConfig {
    /// One URL, or several comma-separated for a NATS cluster.
    pub nats_url: String,
    pub prefix: String,
    pub group: GroupId,
    pub node: NodeId,
    pub az: String,
    /// `host:port` where clients reach this node.
    pub address: String,
    /// Start as a replica of this node; None starts as a primary.
    pub follow: Option<NodeId>,
    pub backlog_size: usize,
    pub heartbeat: Duration,
    /// The sentinel set a primary must see a majority of (empty: no fencing).
    pub sentinels: Vec<NodeId>,
    pub fence_timeout_ms: u64,
}

/// What every replication task shares.
pub(crate) struct Link {
    pub shared: Arc<Shared>,
    pub bus: Bus,
    pub config: ReplicationConfig,
    pub subjects: Subjects,
}

/// Prepares the engine for replication and starts the tasks; they run until the process
/// ends. The receiver completes once the node knows its role (or gave up on the bus).
pub fn spawn(shared: Arc<Shared>, config: ReplicationConfig) -> tokio::sync::oneshot::Receiver<()> {
    let (known, role_known) = tokio::sync::oneshot::channel();
    {
        let mut engine = shared.engine.lock();
        engine.record_writes();
        let now = crate::server::now_ms();
        let fence = Fence::watching(
            config.sentinels.clone(),
            config.fence_timeout_ms,
            now,
            // Until the records say whether this node leads (`role::adopt`).
            config.follow.is_none(),
        );
        let repl = &mut engine.repl;
        repl.enable(config.address.clone(), config.backlog_size, fence);
        if let Some(primary) = &config.follow {
            repl.follow(primary.clone(), now);
        }
    }
    tokio::spawn(async move {
        let name = format!("rg-node {}", config.node);
        let bus = match Bus::connect(&config.nats_url, &name).await {
            Ok(bus) => bus,
            Err(error) => {
                tracing::error!(%error, "cannot join the bus; serving standalone");
                shared.lock_engine().await.repl.adopting_ended();
                let _ = known.send(());
                return;
            }
        };
        tracing::info!(url = %rg_bus::redact(&config.nats_url), group = %config.group, node = %config.node, "joined the bus");
        let subjects = Subjects::new(&config.prefix, &config.group);
        let link = Arc::new(Link {
            shared,
            bus,
            config,
            subjects,
        });
        // Heard from while it learns its role (up to 2.5 s when the records are slow to
        // answer): a silent node named primary by its replicas' heartbeats was failed over
        // by sentinels whose down-after is shorter. Until then it refuses writes.
        tokio::spawn(heartbeat::run(link.clone()));
        tokio::spawn(heartbeat::watch_sentinels(link.clone()));
        role::adopt(&link).await;
        let _ = known.send(());
        tokio::spawn(primary::publish(link.clone()));
        tokio::spawn(primary::serve_resyncs(link.clone()));
        tokio::spawn(primary::collect_acks(link.clone()));
        tokio::spawn(control::serve(link.clone()));
        tokio::spawn(parameters::follow(link.clone()));
        tokio::spawn(replica::follow(link));
    });
    role_known
}
