//! Heartbeats: this node's state every interval, and its peers' addresses from theirs.

use std::sync::Arc;

use rg_proto::messages::{Heartbeat, Role as WireRole, SentinelHeartbeat};
use rg_proto::Position;

use super::Link;
use crate::engine::replication::Role;

pub(super) async fn run(link: Arc<Link>) {
    tokio::spawn(learn_peers(link.clone()));
    let mut tick = tokio::time::interval(link.config.heartbeat);
    let mut was_fenced = false;
    loop {
        tick.tick().await;
        let fenced = link
            .shared
            .engine
            .lock()
            .repl
            .is_fenced(crate::server::now_ms());
        if fenced != was_fenced {
            was_fenced = fenced;
            report_fence(&link, fenced).await;
        }
        link.shared.engine_free().await;
        let heartbeat = current(&link);
        let subject = link.subjects.heartbeat(&link.config.node);
        if let Err(error) = link.bus.publish(subject, &heartbeat).await {
            tracing::debug!(%error, "heartbeat not sent");
        }
    }
}

fn current(link: &Link) -> Heartbeat {
    let mut engine = link.shared.engine.lock();
    let now = crate::server::now_ms();
    engine.repl.forget_silent_replicas(now);
    let repl = &engine.repl;
    let (role, primary, link_up) = match repl.role() {
        Role::Primary => (WireRole::Primary, None, true),
        Role::Replica { primary, link_up } => (WireRole::Replica, Some(primary.clone()), *link_up),
    };
    Heartbeat {
        group: link.config.group.clone(),
        node: link.config.node.clone(),
        role,
        epoch: repl.epoch(),
        repl_id: repl.repl_id().clone(),
        offset: repl.offset(),
        az: link.config.az.clone(),
        address: link.config.address.clone(),
        healthy: true,
        primary,
        link_up,
        link_down_ms: repl.link_down_for(now),
        priority: engine.settings.replica_priority,
        continues: (role == WireRole::Primary)
            .then(|| repl.continues())
            .flatten(),
        restarted: repl.restarted(),
    }
}

async fn learn_peers(link: Arc<Link>) {
    let mut heartbeats = match link
        .bus
        .subscribe::<Heartbeat>(link.subjects.heartbeats())
        .await
    {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::error!(%error, "cannot follow heartbeats");
            return;
        }
    };
    while let Some((heartbeat, _)) = heartbeats.next().await {
        if heartbeat.group != link.config.group || heartbeat.node == link.config.node {
            continue;
        }
        let position = Position::new(heartbeat.repl_id, heartbeat.offset);
        link.shared
            .engine
            .lock()
            .repl
            .heard_heartbeat(heartbeat.node, heartbeat.address, position);
    }
}

/// Notes when each sentinel of the set was last heard from, for fencing.
pub(super) async fn watch_sentinels(link: Arc<Link>) {
    if link.config.sentinels.is_empty() {
        return;
    }
    let subject = link.subjects.sentinel_heartbeats();
    let mut heartbeats = match link.bus.subscribe::<SentinelHeartbeat>(subject).await {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::error!(%error, "cannot watch the sentinels; this primary will fence itself");
            return;
        }
    };
    while let Some((heartbeat, _)) = heartbeats.next().await {
        if heartbeat.group != link.config.group
            || !link.config.sentinels.contains(&heartbeat.sentinel)
        {
            continue;
        }
        let mut engine = link.shared.lock_engine().await;
        let repl = &mut engine.repl;
        if let Some(primary) = &heartbeat.primary {
            repl.heard_of_primary(heartbeat.record_epoch, primary, &link.config.node);
        }
        repl.heard_sentinel(heartbeat.sentinel, crate::server::now_ms());
    }
}

/// NodeFenced / NodeUnfenced on the public event stream. A node fenced because it lost the
/// bus publishes when the bus is back (the client buffers it until then).
async fn report_fence(link: &Link, fenced: bool) {
    use rg_proto::events::EventName;
    let name = if fenced {
        tracing::warn!("fenced: writes refused until a majority of the sentinels is in sight");
        EventName::NodeFenced
    } else {
        tracing::info!("no longer fenced");
        EventName::NodeUnfenced
    };
    let mut details = serde_json::Map::new();
    details.insert("fenced".into(), fenced.into());
    super::events::publish(link, name, details).await;
}
