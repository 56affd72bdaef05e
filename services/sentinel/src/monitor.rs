//! Watching the group: node heartbeats, the other sentinels' heartbeats and opinions, the
//! active PINGs, and this sentinel's own liveness and opinion of the primary.

use std::sync::Arc;
use std::time::Duration;

use rg_failover::PublicEvent;
use rg_proto::events::EventName;
use rg_proto::messages::{Heartbeat, SentinelHeartbeat, SentinelOpinion};
use serde_json::json;

use crate::{events, now_ms, ping, Sentinel};

pub(crate) async fn watch_nodes(sentinel: Arc<Sentinel>) {
    let subject = sentinel.subjects.heartbeats();
    let Ok(mut heartbeats) = sentinel.bus.subscribe::<Heartbeat>(subject).await else {
        tracing::error!("cannot follow node heartbeats");
        return;
    };
    while let Some((heartbeat, _)) = heartbeats.next().await {
        if heartbeat.group == sentinel.settings.group {
            sentinel.lock().heartbeat(heartbeat, now_ms());
        }
    }
}

/// The other sentinels: their liveness (for majorities) and their opinions (for ODOWN).
pub(crate) async fn watch_sentinels(sentinel: Arc<Sentinel>) {
    let heartbeats = sentinel
        .bus
        .subscribe::<SentinelHeartbeat>(sentinel.subjects.sentinel_heartbeats())
        .await;
    let opinions = sentinel
        .bus
        .subscribe::<SentinelOpinion>(sentinel.subjects.sentinel_opinions())
        .await;
    let (Ok(mut heartbeats), Ok(mut opinions)) = (heartbeats, opinions) else {
        tracing::error!("cannot follow the other sentinels");
        return;
    };
    let group = sentinel.settings.group.clone();
    loop {
        tokio::select! {
            Some((heartbeat, _)) = heartbeats.next() => {
                if heartbeat.group == group {
                    let mut state = sentinel.lock();
                    state.sentinel_seen(&heartbeat.sentinel, now_ms());
                    state.saw_epoch(heartbeat.epoch);
                }
            }
            Some((opinion, _)) = opinions.next() => {
                if opinion.group == group {
                    sentinel.lock().opinion(opinion, now_ms());
                }
            }
            else => return,
        }
    }
}

/// PINGs every known node each heartbeat interval, all at once, so that a hung node (whose
/// PING only times out) delays nobody else's.
pub(crate) async fn ping_nodes(sentinel: Arc<Sentinel>) {
    let mut tick = tokio::time::interval(Duration::from_millis(sentinel.settings.heartbeat_ms));
    loop {
        tick.tick().await;
        let addresses = sentinel.lock().addresses();
        let mut pings = tokio::task::JoinSet::new();
        for (node, address) in addresses {
            pings.spawn(async move { (node, ping::ping(&address).await) });
        }
        while let Some(result) = pings.join_next().await {
            if let Ok((node, true)) = result {
                sentinel.lock().ping_ok(&node, now_ms());
            }
        }
    }
}

/// This sentinel's heartbeat (fencing counts them) and its opinion of the primary.
pub(crate) async fn publish_liveness(sentinel: &Sentinel) {
    let me = &sentinel.settings.id;
    let (epoch, record, opinion) = {
        let state = sentinel.lock();
        let record = state
            .topology
            .as_ref()
            .map(|(record, _)| (record.primary.clone(), record.epoch));
        (
            state.highest_epoch(),
            record,
            state.opinion_of_primary(&sentinel.rules, now_ms()),
        )
    };
    let (primary, record_epoch) = record.unzip();
    let heartbeat = SentinelHeartbeat {
        group: sentinel.settings.group.clone(),
        sentinel: me.clone(),
        epoch,
        primary,
        record_epoch: record_epoch.unwrap_or_default(),
    };
    let subject = sentinel.subjects.sentinel_heartbeat(me);
    if let Err(error) = sentinel.bus.publish(subject, &heartbeat).await {
        tracing::debug!(%error, "sentinel heartbeat not sent");
    }
    if let Some((node, down)) = opinion {
        let opinion = SentinelOpinion {
            group: sentinel.settings.group.clone(),
            sentinel: me.clone(),
            node,
            down,
        };
        let subject = sentinel.subjects.sentinel_opinion(me);
        let _ = sentinel.bus.publish(subject, &opinion).await;
    }
}

/// Publishes a `NodeHealthChanged` event for every node whose health, as this sentinel
/// judges it, changed.
pub(crate) async fn report_health_changes(sentinel: &Sentinel) {
    let (changes, epoch) = {
        let mut state = sentinel.lock();
        let changes = state.health_changes(&sentinel.rules, now_ms());
        (changes, state.highest_epoch())
    };
    for (node, up, reason) in changes {
        if up {
            tracing::info!(%node, "node is up");
        } else {
            tracing::warn!(%node, reason, "node is subjectively down");
        }
        let details = json!({ "healthy": up, "reason": reason, "sentinel": sentinel.settings.id });
        let event = PublicEvent {
            name: EventName::NodeHealthChanged,
            node: Some(node),
            epoch,
            details,
        };
        events::publish(sentinel, event).await;
    }
}
