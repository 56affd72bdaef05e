//! A node started without `--replicaof` takes its role from what the group already says:
//! the topology record's primary if there is one, else the primary the registry names. So
//! every node of a group can be started the same way (compose, `--scale`), and a node that
//! comes back after a failover does not start as a second primary.

use std::time::Duration;

use rg_proto::registry::{GroupRecord, GROUPS_BUCKET};
use rg_proto::topology::{Topology, BUCKET};
use rg_proto::{Epoch, NodeId};

use super::Link;

/// How long the records may take to answer before the node keeps its configured role.
const ASK: Duration = Duration::from_secs(1);

pub(super) async fn adopt(link: &Link) {
    if link.config.follow.is_some() {
        return;
    }
    let Some((primary, epoch)) = tokio::time::timeout(ASK, recorded_primary(link))
        .await
        .ok()
        .flatten()
    else {
        return;
    };
    if primary == link.config.node {
        return;
    }
    let mut engine = link.shared.engine.lock();
    let repl = &mut engine.repl;
    repl.epoch = repl.epoch.max(epoch);
    repl.follow(primary.clone(), crate::server::now_ms());
    tracing::info!(%primary, epoch = epoch.0, "the group has a primary: following it");
}

async fn recorded_primary(link: &Link) -> Option<(NodeId, Epoch)> {
    let key = link.config.group.to_string();
    if let Ok(topology) = link.bus.open_kv(BUCKET).await {
        if let Ok(Some((record, _))) = topology.get::<Topology>(&key).await {
            return Some((record.primary, record.epoch));
        }
    }
    let registry = link.bus.open_kv(GROUPS_BUCKET).await.ok()?;
    let (record, _) = registry.get::<GroupRecord>(&key).await.ok()??;
    Some((record.primary, Epoch(0)))
}
