//! The operator's view of the group as this sentinel sees it, on
//! `rg.<group>.sentinel.status.<sentinel>`.

use std::sync::Arc;

use rg_proto::messages::SentinelStatus;

use crate::{now_ms, Sentinel};

pub(crate) fn current(sentinel: &Sentinel) -> SentinelStatus {
    let settings = &sentinel.rules;
    let now = now_ms();
    let state = sentinel.lock();
    let automatic_failover = state
        .topology
        .as_ref()
        .is_none_or(|(t, _)| t.automatic_failover);
    let failover = if state.failing_over() {
        "a failover is in progress".to_string()
    } else {
        match state.failover_blocker(settings, now) {
            Some(reason) => format!("no failover: {reason}; last: {}", state.last_outcome),
            None => "failover due".to_string(),
        }
    };
    SentinelStatus {
        sentinel: settings.id.clone(),
        group: settings.group.clone(),
        epoch: state.highest_epoch(),
        primary: state.primary(),
        quorum: settings.quorum,
        sentinels: settings.sentinels.clone(),
        reachable_sentinels: state.reachable_sentinels(settings, now),
        primary_down_votes: state.primary_down_votes(settings, now),
        automatic_failover,
        failover,
        nodes: state.node_statuses(settings, now),
    }
}

pub(crate) async fn serve(sentinel: Arc<Sentinel>) {
    let subject = sentinel.subjects.sentinel_status(&sentinel.settings.id);
    let Ok(mut requests) = sentinel
        .bus
        .subscribe::<serde::de::IgnoredAny>(subject)
        .await
    else {
        tracing::error!("cannot serve status requests");
        return;
    };
    while let Some((_, reply_to)) = requests.next().await {
        if let Some(reply_to) = reply_to {
            let status = current(&sentinel);
            let _ = sentinel.bus.reply(&reply_to, &status).await;
        }
    }
}
