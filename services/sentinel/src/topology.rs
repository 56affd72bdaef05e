//! The group's record in the key/value bucket: watched into the state, created when the
//! first primary is heard, extended as nodes join, and replaced by a failover only through
//! compare-and-set on the revision this sentinel read, so that of two leaders only one wins.

use std::sync::Arc;
use std::time::Duration;

use rg_bus::{BusErrorKind, Kv};
use rg_proto::events::EventName;
use rg_proto::messages::ControlCommand;
use rg_proto::registry::{GroupRecord, EVENTS_STREAM, GROUPS_BUCKET};
use rg_proto::topology::{Topology, BUCKET};
use serde_json::json;

use crate::{events, now_ms, Sentinel};
use rg_failover::view::Correction;

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

/// Writes `new` over the revision this sentinel read; false when another writer got there
/// first (the watch brings its version) or the store is down.
pub(crate) async fn install(sentinel: &Sentinel, new: &Topology, expected: Option<u64>) -> bool {
    let Some(kv) = sentinel.store.get() else {
        return false;
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
            true
        }
        Err(error) if error.kind() == BusErrorKind::Conflict => {
            tracing::info!("the topology record changed under this sentinel; not written");
            false
        }
        Err(error) => {
            tracing::warn!(%error, "topology record not written");
            false
        }
    }
}

/// The reconciler's round: create the record, add joining nodes, and send nodes that
/// disagree with it (an old primary back from the dead, a replica that missed a re-point)
/// the control request that puts them in line.
pub(crate) async fn reconcile(sentinel: &Sentinel) {
    let now = now_ms();
    let settings = &sentinel.settings;
    let rules = &sentinel.rules;
    let (first, updated, corrections, revision, epoch, rejoined, ready, joined) = {
        let mut state = sentinel.lock();
        let rejoined = state.take_rejoined();
        if !state.store_ready || !state.is_reconciler(rules, now) {
            return;
        }
        let ready = state.registry_ready(rules, now);
        let joined = state.members_joined();
        let revision = state.topology.as_ref().map(|(_, r)| *r);
        let epoch = state.topology.as_ref().map(|(t, _)| t.epoch);
        (
            state.first_topology(rules, now),
            state.updated_topology(rules, now),
            state.corrections(rules, now),
            revision,
            epoch,
            rejoined,
            ready,
            joined,
        )
    };
    if joined {
        let details = json!({});
        let epoch = epoch.unwrap_or_default();
        events::publish(
            sentinel,
            EventName::ReplicationGroupIncreaseReplicaCountFinished,
            None,
            epoch,
            details,
        )
        .await;
    }
    if let (Some((record, revision)), Some(registry)) = (ready, sentinel.registry.get()) {
        let key = settings.group.to_string();
        if registry.update(&key, &record, revision).await.is_ok() {
            tracing::info!("replication group available");
            let details = json!({ "primary": record.primary });
            let epoch = epoch.unwrap_or_default();
            events::publish(
                sentinel,
                EventName::CreateReplicationGroupComplete,
                None,
                epoch,
                details,
            )
            .await;
        }
    }
    if let Some(epoch) = epoch {
        for node in rejoined {
            tracing::info!(%node, "an old primary rejoined as a replica");
            events::publish(
                sentinel,
                EventName::NodeRejoinedAsReplica,
                Some(&node),
                epoch,
                json!({}),
            )
            .await;
        }
    }
    // A failover in progress owns the record and the nodes until it is done.
    let Ok(_guard) = sentinel.failing_over.try_lock() else {
        return;
    };
    if let Some(first) = first {
        if install(sentinel, &first, None).await {
            tracing::info!(primary = %first.primary, epoch = first.epoch.0, "topology record created");
            let members: Vec<String> = first.members().map(|m| m.node.to_string()).collect();
            let details = json!({ "members": members });
            events::publish(
                sentinel,
                EventName::TopologyCreated,
                Some(&first.primary),
                first.epoch,
                details,
            )
            .await;
        }
        return;
    }
    if let Some(updated) = updated {
        if install(sentinel, &updated, revision).await {
            tracing::info!(replicas = updated.replicas.len(), "topology record updated");
        }
    }
    let Some(epoch) = epoch else { return };
    for correction in corrections {
        correct(sentinel, correction, epoch).await;
    }
}

async fn correct(sentinel: &Sentinel, correction: Correction, epoch: rg_proto::Epoch) {
    match correction {
        Correction::Follow { node, primary } => {
            let command = ControlCommand::ReplicateOf {
                primary: primary.clone(),
            };
            match sentinel.control(&node, epoch, command).await {
                Ok(_) => tracing::info!(%node, %primary, "re-pointed to the record's primary"),
                Err(error) => tracing::debug!(%error, "correction not applied"),
            }
        }
        Correction::Promote { node } => {
            match sentinel
                .control(&node, epoch, ControlCommand::Promote)
                .await
            {
                Ok(_) => tracing::info!(%node, "promoted the record's primary"),
                Err(error) => tracing::debug!(%error, "correction not applied"),
            }
        }
    }
}
