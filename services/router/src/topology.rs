//! Learning where the nodes are: the group's record in the `rg-topology` bucket (the
//! primary and the members), the nodes' heartbeats (health, role, offsets; and the primary
//! itself before any record exists, for a group without sentinels), and the replicas' acks
//! (their offsets within milliseconds, for read-your-writes and WAIT).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rg_bus::Bus;
use rg_proto::messages::{Ack, Heartbeat, Role};
use rg_proto::topology::{Member, Topology, BUCKET};
use rg_proto::{Epoch, NodeId};

use crate::backend::Backend;
use crate::routes::{ReplicaRoute, Routes};
use crate::{now_ms, Router};

const RETRY: Duration = Duration::from_millis(500);
/// A replica not heard from for this long serves no reads.
const SILENT_MS: u64 = 1000;
/// How much of the primary's offset history is kept to time replicas' lag.
const HISTORY_MS: u64 = 30_000;

/// What the router has heard, from which it builds [`Routes`].
#[derive(Default)]
struct Knowledge {
    record: Option<Topology>,
    heartbeats: BTreeMap<NodeId, (Heartbeat, u64)>,
    backends: BTreeMap<NodeId, Arc<Backend>>,
    /// The primary's (time heard, offset) over the last while.
    primary_history: VecDeque<(u64, u64)>,
}

pub async fn run(router: Arc<Router>, bus: Bus) {
    let subjects = rg_proto::Subjects::new(&router.settings.prefix, &router.settings.group);
    let heartbeats = bus.subscribe::<Heartbeat>(subjects.heartbeats()).await;
    let acks = bus.subscribe::<Ack>(subjects.repl_ack()).await;
    let (Ok(mut heartbeats), Ok(mut acks)) = (heartbeats, acks) else {
        tracing::error!("cannot follow the group's heartbeats and acks");
        return;
    };
    let (records_tx, mut records) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(watch_record(router.clone(), bus.clone(), records_tx));
    let mut record_revision = 0;
    let mut known = Knowledge::default();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            Some((record, revision)) = records.recv() => {
                // The watch and the poll both deliver: only a newer revision counts.
                if revision > record_revision {
                    record_revision = revision;
                    tracing::info!(primary = %record.primary, epoch = record.epoch.0, "topology");
                    known.record = Some(record);
                    rebuild(&router, &mut known);
                }
            }
            Some((heartbeat, _)) = heartbeats.next() => {
                if heartbeat.group == router.settings.group {
                    heard(&router, &mut known, heartbeat);
                }
            }
            Some((ack, _)) = acks.next() => {
                if ack.group == router.settings.group {
                    router.positions.lock().acked(&ack.replica, ack.position());
                    let routes = router.routes();
                    if let Some(replica) = routes.replicas.iter().find(|r| r.node == ack.replica) {
                        replica.set_offset(ack.offset.0);
                    }
                    router.acked.notify_waiters();
                }
            }
            _ = tick.tick() => expire_silent(&router, &known),
        }
    }
}

async fn watch_record(
    router: Arc<Router>,
    bus: Bus,
    records: tokio::sync::mpsc::UnboundedSender<(Topology, u64)>,
) {
    let key = router.settings.group.to_string();
    loop {
        // Opened, never created: the sentinels decide how the record is kept.
        let kv = match bus.open_kv(BUCKET).await {
            Ok(kv) => kv,
            Err(error) => {
                tracing::debug!(%error, "no topology bucket yet; routing from heartbeats");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        // A safety net under the watch: a watch whose JetStream consumer lived on a server
        // that died stays silent, so the record is also read every second.
        let poll = tokio::spawn(poll_record(kv.clone(), key.clone(), records.clone()));
        let mut changes = match kv.watch::<Topology>(&key).await {
            Ok(changes) => changes,
            Err(error) => {
                tracing::warn!(%error, "cannot watch the topology record; retrying");
                poll.abort();
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        while let Some((record, revision)) = changes.next().await {
            if let Some(record) = record {
                if records.send((record, revision)).is_err() {
                    poll.abort();
                    return;
                }
            }
        }
        poll.abort();
    }
}

async fn poll_record(
    kv: rg_bus::Kv,
    key: String,
    records: tokio::sync::mpsc::UnboundedSender<(Topology, u64)>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        if let Ok(Some((record, revision))) = kv.get::<Topology>(&key).await {
            if records.send((record, revision)).is_err() {
                return;
            }
        }
    }
}

fn heard(router: &Router, known: &mut Knowledge, heartbeat: Heartbeat) {
    let now = now_ms();
    let node = heartbeat.node.clone();
    router.positions.lock().heard(&heartbeat);
    let before = known
        .heartbeats
        .insert(node.clone(), (heartbeat.clone(), now));
    let routes = router.routes();
    let is_primary = routes.primary.as_ref().is_some_and(|p| p.node == node);
    if is_primary && heartbeat.role == Role::Primary {
        known.primary_history.push_back((now, heartbeat.offset.0));
        while known
            .primary_history
            .front()
            .is_some_and(|(t, _)| now.saturating_sub(*t) > HISTORY_MS)
        {
            known.primary_history.pop_front();
        }
        // The record's primary is trusted for writes once it says so itself, in the
        // record's epoch: between the record's change and the promotion it still refuses.
        if heartbeat.epoch >= routes.epoch && !routes.confirmed.swap(true, Ordering::Relaxed) {
            router.changed.notify_waiters();
        }
    }
    if let Some(replica) = routes.replicas.iter().find(|r| r.node == node) {
        replica.set_offset(heartbeat.offset.0);
        replica.last_heard.store(now, Ordering::Relaxed);
        let healthy = heartbeat.role == Role::Replica && heartbeat.link_up;
        replica.healthy.store(healthy, Ordering::Relaxed);
        let lag = lag_ms(&known.primary_history, heartbeat.offset.0, now);
        replica.lag_ms.store(lag, Ordering::Relaxed);
    }
    // Without a record, the heartbeats are the topology: rebuild when a role or the
    // membership changes.
    let changed =
        before.is_none_or(|(b, _)| b.role != heartbeat.role || b.primary != heartbeat.primary);
    if known.record.is_none() && changed {
        rebuild(router, known);
    }
}

/// How far behind the primary a replica at `offset` is: 0 if it holds the primary's
/// latest offset, else the time since the primary first had something it lacks.
fn lag_ms(history: &VecDeque<(u64, u64)>, offset: u64, now: u64) -> u64 {
    match history.back() {
        None => 0,
        Some((_, latest)) if offset >= *latest => 0,
        Some(_) => history
            .iter()
            .find(|(_, o)| *o > offset)
            .map_or(u64::MAX, |(t, _)| now.saturating_sub(*t)),
    }
}

fn expire_silent(router: &Router, _known: &Knowledge) {
    let now = now_ms();
    for replica in &router.routes().replicas {
        let last = replica.last_heard.load(Ordering::Relaxed);
        if now.saturating_sub(last) > SILENT_MS {
            replica.healthy.store(false, Ordering::Relaxed);
        }
    }
}

/// Builds new routes from the record (or, without one, the heartbeats), keeping the
/// backends and replica state of nodes that stay.
fn rebuild(router: &Router, known: &mut Knowledge) {
    let shape = match &known.record {
        Some(record) => Shape {
            epoch: record.epoch,
            primary: Some(record.primary_member.clone()),
            replicas: record.replicas.clone(),
        },
        None => from_heartbeats(known),
    };
    let old = router.routes();
    let mut backend_for = |member: &Member| -> Arc<Backend> {
        match known.backends.get(&member.node) {
            Some(backend) if backend.address == member.address => backend.clone(),
            _ => {
                let backend = Backend::shared(
                    member.node.clone(),
                    member.address.clone(),
                    router.settings.node_password.clone(),
                    Duration::from_millis(router.settings.backend_timeout_ms),
                    router.changed.clone(),
                );
                known.backends.insert(member.node.clone(), backend.clone());
                backend
            }
        }
    };
    let reachable = |member: &&Member| !member.address.is_empty();
    let primary = shape
        .primary
        .as_ref()
        .filter(reachable)
        .map(&mut backend_for);
    let replicas: Vec<Arc<ReplicaRoute>> = shape
        .replicas
        .iter()
        .filter(reachable)
        .map(|member| {
            let backend = backend_for(member);
            match old
                .replicas
                .iter()
                .find(|r| Arc::ptr_eq(&r.backend, &backend))
            {
                Some(kept) => kept.clone(),
                None => Arc::new(ReplicaRoute::new(
                    member.node.clone(),
                    member.az.clone(),
                    backend,
                )),
            }
        })
        .collect();
    let members: Vec<&NodeId> = shape
        .primary
        .iter()
        .chain(&shape.replicas)
        .map(|m| &m.node)
        .collect();
    known.backends.retain(|node, _| members.contains(&node));
    let same_primary = match (&old.primary, &primary) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    };
    if !same_primary {
        known.primary_history.clear();
    }
    // Confirmed at once if the primary already said so in this epoch.
    let said_so = shape.primary.as_ref().is_some_and(|member| {
        known
            .heartbeats
            .get(&member.node)
            .is_some_and(|(hb, _)| hb.role == Role::Primary && hb.epoch >= shape.epoch)
    });
    let confirmed = said_so || (same_primary && old.is_confirmed());
    router.set_routes(Routes::new(shape.epoch, primary, replicas, confirmed));
}

/// The group as the router should route to it.
struct Shape {
    epoch: Epoch,
    primary: Option<Member>,
    replicas: Vec<Member>,
}

/// Before there is a record: the primary heard with the newest epoch, and the nodes that
/// follow it.
fn from_heartbeats(known: &Knowledge) -> Shape {
    let member = |hb: &Heartbeat| Member {
        node: hb.node.clone(),
        az: hb.az.clone(),
        address: hb.address.clone(),
    };
    let primary = known
        .heartbeats
        .values()
        .filter(|(hb, _)| hb.role == Role::Primary)
        .max_by_key(|(hb, heard)| (hb.epoch, *heard));
    let Some((beat, _)) = primary else {
        return Shape {
            epoch: Epoch(0),
            primary: None,
            replicas: Vec::new(),
        };
    };
    let replicas = known
        .heartbeats
        .values()
        .filter(|(hb, _)| hb.primary.as_ref() == Some(&beat.node))
        .map(|(hb, _)| member(hb))
        .collect();
    Shape {
        epoch: beat.epoch,
        primary: Some(member(beat)),
        replicas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_time_since_the_primary_first_had_what_the_replica_lacks() {
        let history: VecDeque<(u64, u64)> = [(1000, 10), (1100, 20), (1200, 30)].into();
        assert_eq!(lag_ms(&history, 30, 1250), 0);
        assert_eq!(lag_ms(&history, 25, 1250), 50);
        assert_eq!(lag_ms(&history, 15, 1250), 150);
        assert_eq!(
            lag_ms(&VecDeque::new(), 0, 5),
            0,
            "no primary heard: no lag known"
        );
    }
}
