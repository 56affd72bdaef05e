//! Control requests on the bus: promote, replicate-of, freeze and thaw, pause and resume writes,
//! retire, ping. The sentinels' failover uses them; every request carries an epoch and a
//! node refuses one older than it has seen.

use std::sync::Arc;

use rg_proto::messages::{ControlCommand, ControlReply, ControlRequest, Role as WireRole};

use super::Link;
use crate::engine::replication::Role;

pub(super) async fn serve(link: Arc<Link>) {
    let subject = link.subjects.control(&link.config.node);
    let mut requests = match link.bus.subscribe::<ControlRequest>(subject).await {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::error!(%error, "cannot serve control requests");
            return;
        }
    };
    while let Some((request, reply_to)) = requests.next().await {
        let retire = request.command == ControlCommand::Retire;
        link.shared.engine_free().await;
        let reply = handle(&link, request);
        if let Some(reply_to) = reply_to {
            if let Err(error) = link.bus.reply(&reply_to, &reply).await {
                tracing::warn!(%error, "control reply not sent");
            }
        }
        if retire && reply.accepted {
            tracing::info!("removed from the group: stopping");
            let _ = link.bus.flush().await;
            let _ = link.shared.stop.send(true);
        }
    }
}

fn handle(link: &Link, request: ControlRequest) -> ControlReply {
    let mut engine = link.shared.engine.lock();
    let repl = &mut engine.repl;
    let now = crate::server::now_ms();
    let refusal = if request.group != link.config.group {
        Some("this node belongs to another group".to_string())
    } else if matches!(&request.command, ControlCommand::ReplicateOf { primary } if *primary == link.config.node)
    {
        Some("a node cannot replicate itself".to_string())
    } else if request.command == ControlCommand::Promote && repl.is_syncing() {
        Some("loading a full sync: the dataset is partial".to_string())
    } else if request.command == ControlCommand::Freeze && !repl.is_replica() {
        Some("only a replica is frozen for a failover".to_string())
    } else if request.epoch < repl.newest_epoch(now) {
        Some(format!(
            "epoch {} is older than the newest this node knows, {}",
            request.epoch.0,
            repl.newest_epoch(now).0
        ))
    } else {
        None
    };
    if refusal.is_none() {
        // Only a change of role moves the node to the request's epoch. A freeze or a pause
        // is a promise that lapses if the failover never happens (raised by an aborted
        // planned failover, the epoch would outrank the record's, whose re-points this
        // node would then refuse for ever), and a ping is a question: a replica polled by
        // a planned failover's catch-up must still take its primary's stream.
        if matches!(
            request.command,
            ControlCommand::Promote | ControlCommand::ReplicateOf { .. } | ControlCommand::Retire
        ) {
            repl.enter_epoch(request.epoch);
        }
        match request.command {
            ControlCommand::Promote => repl.promote(),
            ControlCommand::ReplicateOf { primary } => {
                if !repl.follows(&primary) {
                    repl.follow(primary, now);
                }
            }
            ControlCommand::PauseWrites { for_ms } => {
                repl.pause_writes(now.saturating_add(for_ms));
            }
            ControlCommand::ResumeWrites => repl.resume_writes(),
            ControlCommand::Freeze => repl.freeze_for(request.epoch, now),
            ControlCommand::Thaw => repl.thaw(request.epoch),
            ControlCommand::Retire => {}
            ControlCommand::Ping => {}
        }
        tracing::info!(epoch = request.epoch.0, "control request applied");
    }
    ControlReply {
        node: link.config.node.clone(),
        accepted: refusal.is_none(),
        reason: refusal,
        role: match repl.role() {
            Role::Primary => WireRole::Primary,
            Role::Replica { .. } => WireRole::Replica,
        },
        epoch: repl.epoch(),
        repl_id: repl.repl_id().clone(),
        offset: repl.offset(),
    }
}
