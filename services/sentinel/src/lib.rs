//! rg-sentinel: watches replication groups' nodes, judges the primary's health with the
//! other sentinels, elects a leader for each failover and promotes the best replica.
//!
//! - `config`: settings, checked (the sentinel set must contain this sentinel, quorum fits).
//! - `rg_failover::view`: what this sentinel has seen, and the decisions taken from it.
//! - `monitor`: heartbeats, opinions, PINGs and the health events.
//! - `election`: votes given, one per epoch, persisted by `vote_store`.
//! - `failover`: carries out failovers (`rg_failover::procedure` decides them).
//! - `topology`: the record in the key/value bucket, changed only by compare-and-set.
//! - `status` and `resp`: the operator's view, on the bus and as `SENTINEL` commands.
//! - `events`: the public JSON event stream.

pub mod config;
mod election;
mod events;
mod failover;
mod monitor;
mod ping;
mod resp;
mod status;
mod topology;
mod vote_store;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rg_bus::Bus;
use rg_proto::messages::{ControlCommand, ControlReply, ControlRequest};
use rg_proto::{Epoch, GroupId, NodeId, Subjects};

use config::Settings;
use rg_failover::procedure::Failover;
use rg_failover::view::State;
use rg_failover::Rules;
use vote_store::VoteStore;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

struct Sentinel {
    settings: Settings,
    /// What the decisions depend on, from `settings`.
    rules: Rules,
    bus: Bus,
    subjects: Subjects,
    state: Mutex<State>,
    votes: VoteStore,
    store: tokio::sync::OnceCell<rg_bus::Kv>,
    /// The group registry's bucket (rgctl), once open.
    registry: tokio::sync::OnceCell<rg_bus::Kv>,
    /// One reconciliation at a time, beside the tick.
    reconciling: tokio::sync::Mutex<()>,
}

/// Watches every configured group until the process ends: one [`Sentinel`] per group, all
/// sharing the bus connection and the RESP port.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let bus = Bus::connect(&settings.nats_url, &format!("rg-sentinel {}", settings.id)).await?;
    let watched: Arc<resp::Watched> = Arc::default();
    for group in &settings.groups {
        start_watching(&watched, &settings, &bus, group);
    }
    if settings.groups.is_empty() {
        tracing::info!(id = %settings.id, "watching every group in the registry");
        tokio::spawn(follow_registry(
            watched.clone(),
            settings.clone(),
            bus.clone(),
        ));
    }
    match settings.resp_address() {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(&address).await?;
            tracing::info!(%address, "serving SENTINEL commands");
            resp::serve(watched, listener).await;
        }
        None => std::future::pending::<()>().await,
    }
    Ok(())
}

fn start_watching(watched: &resp::Watched, settings: &Settings, bus: &Bus, group: &GroupId) {
    let mut groups = watched.write();
    if groups.contains_key(group) {
        return;
    }
    let sentinel = Arc::new(Sentinel::new(settings.for_group(group), bus.clone()));
    tracing::info!(id = %settings.id, %group, "watching");
    tokio::spawn(watch(sentinel.clone()));
    groups.insert(group.clone(), sentinel);
}

/// Starts watching each group the registry holds, now and as they are created.
async fn follow_registry(watched: Arc<resp::Watched>, settings: Settings, bus: Bus) {
    loop {
        let registry = match bus
            .replicated_kv(rg_proto::registry::GROUPS_BUCKET, 8)
            .await
        {
            Ok(kv) => kv,
            Err(error) => {
                tracing::debug!(%error, "registry not reachable; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let Ok(mut records) = registry
            .watch_every::<rg_proto::registry::GroupRecord>()
            .await
        else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        while let Some((key, record, _)) = records.next_keyed().await {
            if record.is_none() {
                continue;
            }
            match GroupId::new(&key) {
                Ok(group) => start_watching(&watched, &settings, &bus, &group),
                Err(error) => tracing::warn!(%key, %error, "registry key is not a group id"),
            }
        }
    }
}

async fn watch(sentinel: Arc<Sentinel>) {
    tokio::spawn(topology::watch(sentinel.clone()));
    tokio::spawn(monitor::watch_nodes(sentinel.clone()));
    tokio::spawn(monitor::watch_sentinels(sentinel.clone()));
    tokio::spawn(monitor::ping_nodes(sentinel.clone()));
    tokio::spawn(election::serve_votes(sentinel.clone()));
    tokio::spawn(status::serve(sentinel.clone()));
    tokio::spawn(failover::serve_requests(sentinel.clone()));
    let mut tick = tokio::time::interval(Duration::from_millis(sentinel.settings.heartbeat_ms));
    loop {
        tick.tick().await;
        monitor::publish_liveness(&sentinel).await;
        monitor::report_health_changes(&sentinel).await;
        // Bound first: an `if let` would hold the state lock through the campaign.
        let due = Failover::automatic(
            &mut sentinel.lock(),
            &sentinel.rules,
            now_ms(),
            rand::random(),
        );
        if let Some(failover) = due {
            let sentinel = sentinel.clone();
            tokio::spawn(async move { failover::drive(&sentinel, failover).await });
        }
        // Reconciling can wait on the bus (a re-point to a paused node times out after
        // 500 ms, a write to the record waits for JetStream): never in the tick, whose
        // heartbeats keep primaries unfenced and whose checks start failovers (three
        // re-points to paused nodes would hold it 1.5 s).
        let reconciler = sentinel.clone();
        tokio::spawn(async move {
            if let Ok(_only_one) = reconciler.reconciling.try_lock() {
                topology::reconcile(&reconciler).await;
            }
        });
    }
}

impl Sentinel {
    fn new(settings: Settings, bus: Bus) -> Sentinel {
        let votes = VoteStore::new(&settings.state_dir, &settings.id, &settings.group);
        // The last vote from disk, so that a restarted sentinel keeps its word.
        let state = State::new(votes.load());
        Sentinel {
            subjects: Subjects::new(&settings.prefix, &settings.group),
            votes,
            state: Mutex::new(state),
            rules: settings.rules(),
            settings,
            bus,
            store: tokio::sync::OnceCell::new(),
            registry: tokio::sync::OnceCell::new(),
            reconciling: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends one control request to `node` and waits briefly for its answer.
    async fn control(
        &self,
        node: &NodeId,
        epoch: Epoch,
        command: ControlCommand,
    ) -> Result<ControlReply, String> {
        let request = ControlRequest {
            group: self.settings.group.clone(),
            epoch,
            command,
        };
        let subject = self.subjects.control(node);
        let reply: ControlReply = self
            .bus
            .request(subject, &request, Duration::from_millis(500))
            .await
            .map_err(|e| format!("{node} did not answer: {e}"))?;
        if reply.accepted {
            Ok(reply)
        } else {
            Err(format!(
                "{node} refused: {}",
                reply.reason.as_deref().unwrap_or("no reason given")
            ))
        }
    }
}
