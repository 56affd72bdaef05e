//! The group's record in the key/value bucket: watched into the state, created when the
//! first primary is heard, extended as nodes join, and replaced by a failover only through
//! compare-and-set on the revision this sentinel read, so that of two leaders only one wins.

use std::sync::Arc;
use std::time::Duration;

use rg_bus::{BusErrorKind, Kv};
use rg_failover::reconcile::{self, Chore};
use rg_proto::events::EventName;
use rg_proto::registry::{GroupRecord, EVENTS_STREAM, GROUPS_BUCKET};
use rg_proto::topology::{Topology, BUCKET};

use crate::{events, now_ms, Sentinel};

const RETRY: Duration = Duration::from_millis(500);
/// How often the record is read besides being watched.
const POLL: Duration = Duration::from_secs(1);
/// Copies of the event stream on a NATS cluster (a single server keeps one).
const REPLICAS: usize = 3;

/// Opens the bucket (retrying until JetStream answers), then follows the group's key.
pub(crate) async fn watch(sentinel: Arc<Sentinel>) {
    let kv = loop {
        match open(&sentinel).await {
            Ok(kv) => break kv,
            Err(error) => {
                tracing::warn!(%error, "topology store not reachable; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    };
    let _ = sentinel.store.set(kv.clone());
    sentinel.lock().store_ready = true;
    tokio::spawn(keep_events(sentinel.clone()));
    tokio::spawn(watch_registry(sentinel.clone()));
    tokio::spawn(poll_record(sentinel.clone(), kv.clone()));
    let key = sentinel.settings.group.to_string();
    loop {
        let mut changes = match kv.watch::<Topology>(&key).await {
            Ok(changes) => changes,
            Err(error) => {
                tracing::warn!(%error, "cannot watch the topology record; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        while let Some((topology, revision)) = changes.next().await {
            if let Some(topology) = topology {
                tracing::debug!(revision, epoch = topology.epoch.0, primary = %topology.primary, "topology");
                sentinel
                    .lock()
                    .topology_changed(topology, revision, now_ms());
            }
        }
    }
}

/// A safety net under the watch: a watch whose JetStream consumer lived on a server that
/// died stays silent, so the record is also read every second.
async fn poll_record(sentinel: Arc<Sentinel>, kv: Kv) {
    let key = sentinel.settings.group.to_string();
    let mut tick = tokio::time::interval(POLL);
    loop {
        tick.tick().await;
        if let Ok(Some((topology, revision))) = kv.get::<Topology>(&key).await {
            sentinel
                .lock()
                .topology_changed(topology, revision, now_ms());
        }
    }
}

/// Makes sure the public events are kept for `describe-events`.
async fn keep_events(sentinel: Arc<Sentinel>) {
    let subjects = vec![format!("{}.events.>", sentinel.settings.prefix)];
    let age = Duration::from_secs(sentinel.settings.event_retention_days * 24 * 3600);
    if let Err(error) = sentinel
        .bus
        .keep_stream(EVENTS_STREAM, subjects, age, REPLICAS)
        .await
    {
        tracing::warn!(%error, "events will not be kept for describe-events");
    }
}

/// Follows the group's registry record (rgctl), to mark it available once it runs.
async fn watch_registry(sentinel: Arc<Sentinel>) {
    let kv = loop {
        match sentinel.bus.replicated_kv(GROUPS_BUCKET, 8).await {
            Ok(kv) => break kv,
            Err(error) => {
                tracing::debug!(%error, "registry not reachable; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    };
    let _ = sentinel.registry.set(kv.clone());
    let key = sentinel.settings.group.to_string();
    loop {
        let Ok(mut changes) = kv.watch::<GroupRecord>(&key).await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        while let Some((record, revision)) = changes.next().await {
            sentinel.lock().registry = record.map(|r| (r, revision));
        }
    }
}

async fn open(sentinel: &Sentinel) -> Result<Kv, rg_bus::BusError> {
    sentinel.bus.replicated_kv(BUCKET, 8).await
}

/// Writes `new` over the revision this sentinel read (None: creates it). `Some(false)`
/// when it was not written (another writer got there first, and the watch brings its
/// version; or the store is not open); `None` when the store gave no clear answer, so the
/// write may have happened.
pub(crate) async fn install(
    sentinel: &Sentinel,
    new: &Topology,
    expected: Option<u64>,
) -> Option<bool> {
    let Some(kv) = sentinel.store.get() else {
        return Some(false);
    };
    let key = sentinel.settings.group.to_string();
    let written = match expected {
        Some(revision) => kv.update(&key, new, revision).await,
        None => kv.create(&key, new).await,
    };
    match written {
        Ok(revision) => {
            sentinel
                .lock()
                .topology_changed(new.clone(), revision, now_ms());
            Some(true)
        }
        Err(error) if error.kind() == BusErrorKind::Conflict => {
            tracing::info!("the topology record changed under this sentinel; not written");
            Some(false)
        }
        Err(error) if error.kind() == BusErrorKind::Decode => {
            tracing::error!(%error, "topology record not written");
            Some(false)
        }
        Err(error) => {
            tracing::warn!(%error, "no clear answer from the topology store");
            None
        }
    }
}

/// The record as the store holds it now (also fed into the view), or None when it cannot
/// be read.
pub(crate) async fn read_back(sentinel: &Sentinel) -> Option<Topology> {
    let kv = sentinel.store.get()?;
    let key = sentinel.settings.group.to_string();
    match kv.get::<Topology>(&key).await {
        Ok(Some((record, revision))) => {
            sentinel
                .lock()
                .topology_changed(record.clone(), revision, now_ms());
            Some(record)
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "topology record not read back");
            None
        }
    }
}

/// The reconciler's round (`rg_failover::reconcile` decides it), carried out in order.
pub(crate) async fn reconcile(sentinel: &Sentinel) {
    let chores = reconcile::round(&mut sentinel.lock(), &sentinel.rules, now_ms());
    for chore in chores {
        carry_out(sentinel, chore).await;
    }
}

async fn carry_out(sentinel: &Sentinel, chore: Chore) {
    match chore {
        Chore::Publish(event) => {
            if event.name == EventName::NodeRejoinedAsReplica {
                tracing::info!(node = ?event.node, "an old primary rejoined as a replica");
            }
            events::publish(sentinel, event).await;
        }
        Chore::Write {
            record,
            expected,
            then,
        } => {
            if install(sentinel, &record, expected).await == Some(true) {
                tracing::info!(
                    primary = %record.primary,
                    epoch = record.epoch.0,
                    replicas = record.replicas.len(),
                    "topology record written"
                );
                if let Some(event) = then {
                    events::publish(sentinel, event).await;
                }
            }
        }
        Chore::MarkAvailable {
            record,
            revision,
            then,
        } => {
            let Some(registry) = sentinel.registry.get() else {
                return;
            };
            let key = sentinel.settings.group.to_string();
            if registry.update(&key, &record, revision).await.is_ok() {
                tracing::info!("replication group available");
                events::publish(sentinel, then).await;
            }
        }
        Chore::Control {
            node,
            epoch,
            command,
        } => match sentinel.control(&node, epoch, command.clone()).await {
            Ok(_) => tracing::info!(%node, ?command, "put in line with the record"),
            Err(error) => tracing::debug!(%error, "correction not applied"),
        },
    }
}
