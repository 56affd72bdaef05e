//! A node started without `--replicaof` takes its role from what the group already says:
//! the topology record's primary if there is one, else the primary the registry names. So
//! every node of a group can be started the same way (compose, `--scale`), and a node that
//! comes back after a failover does not start as a second primary.
//!
//! A node always starts empty (rgroup keeps nothing on disk). One that the record still
//! names primary, in a group with other members, restarted faster than the sentinels could
//! notice: its replicas hold the data it lost, so it must not lead them into an empty
//! history. It comes up fenced and says so in its heartbeats; the sentinels promote a
//! replica (or, with none fit, this node again, in a newer epoch).

use std::time::Duration;

use rg_proto::registry::{GroupRecord, GROUPS_BUCKET};
use rg_proto::topology::{Topology, BUCKET};
use rg_proto::{Epoch, NodeId};

use super::Link;

/// How long the records may take to answer before the node keeps its configured role.
const ASK: Duration = Duration::from_millis(2500);

pub(super) async fn adopt(link: &Link) {
    if link.config.follow.is_some() {
        return;
    }
    learn_role(link).await;
    link.shared.lock_engine().await.repl.adopting_ended();
}

async fn learn_role(link: &Link) {
    let Some(recorded) = tokio::time::timeout(ASK, recorded_primary(link))
        .await
        .ok()
        .flatten()
    else {
        return;
    };
    let Recorded {
        primary,
        epoch,
        others,
    } = recorded;
    let mut engine = link.shared.lock_engine().await;
    let repl = &mut engine.repl;
    if primary == link.config.node {
        repl.adopt_lead(epoch, others);
        if others {
            tracing::warn!(
                epoch = epoch.0,
                "restarted without data while the group's record names this node primary: \
                 writes refused until the sentinels hand over to a replica"
            );
        }
        return;
    }
    repl.adopt_primary(epoch, primary.clone(), crate::server::now_ms());
    tracing::info!(%primary, epoch = epoch.0, "the group has a primary: following it");
}

/// The group's primary as its records name it.
struct Recorded {
    primary: NodeId,
    epoch: Epoch,
    /// The topology record (not just the registry) has other members: a group that has run.
    others: bool,
}

async fn recorded_primary(link: &Link) -> Option<Recorded> {
    let key = link.config.group.to_string();
    if let Ok(topology) = link.bus.open_kv(BUCKET).await {
        if let Ok(Some((record, _))) = topology.get::<Topology>(&key).await {
            return Some(Recorded {
                others: !record.replicas.is_empty(),
                primary: record.primary,
                epoch: record.epoch,
            });
        }
    }
    let registry = link.bus.open_kv(GROUPS_BUCKET).await.ok()?;
    let (record, _) = registry.get::<GroupRecord>(&key).await.ok()??;
    Some(Recorded {
        primary: record.primary,
        epoch: Epoch(0),
        others: false,
    })
}
