//! Doing a planned fault to the running group, and undoing it (restart, SIGCONT, heal).
//! The fault's duration is a sleep: it is what is being simulated, not a wait for
//! something to happen.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::cluster::Cluster;
use super::plan::{Fault, FaultKind, Target};

/// Does `fault` to `cluster`, whose primary is node `primary`, then undoes it. Returns
/// what it hit (e.g. "n1 (primary)"), or why it could not undo it.
pub fn inject(cluster: &mut Cluster, fault: &Fault, primary: usize) -> Result<String, String> {
    let hit = describe(cluster, fault.target, primary);
    let node = match fault.target {
        Target::Primary => primary,
        Target::Replica(n) => replicas(cluster, primary)[n % 2],
        Target::Sentinel(n) => n,
        Target::Router => 0,
    };
    match fault.kind {
        FaultKind::KillRestart | FaultKind::KillFastRestart => {
            cluster.kill_node(node);
            std::thread::sleep(fault.hold);
            restart(cluster, node)?;
        }
        FaultKind::Pause => {
            cluster.signal_node(node, "STOP");
            std::thread::sleep(fault.hold);
            cluster.signal_node(node, "CONT");
        }
        FaultKind::BusCut => {
            cluster.nodes[node].bus.cut();
            std::thread::sleep(fault.hold);
            cluster.nodes[node].bus.heal();
        }
        FaultKind::DataCut => {
            cluster.nodes[node].data.cut();
            std::thread::sleep(fault.hold);
            cluster.nodes[node].data.heal();
        }
        FaultKind::SentinelRestart => {
            cluster.kill_sentinel(node);
            std::thread::sleep(fault.hold);
            cluster.start_sentinel(node);
        }
        FaultKind::RouterPause => {
            cluster.signal_router("STOP");
            std::thread::sleep(fault.hold);
            cluster.signal_router("CONT");
        }
    }
    Ok(hit)
}

/// A fresh process with the node's id and flags, and no `--replicaof`: it takes its role
/// from the group's records, as an operator's restart would.
fn restart(cluster: &mut Cluster, node: usize) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| cluster.start_node(node, None))).map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{} did not restart: {why}", cluster.nodes[node].id)
    })
}

/// The nodes other than `primary`, in id order.
fn replicas(cluster: &Cluster, primary: usize) -> Vec<usize> {
    (0..cluster.nodes.len()).filter(|&i| i != primary).collect()
}

fn describe(cluster: &Cluster, target: Target, primary: usize) -> String {
    match target {
        Target::Primary => format!("{} (primary)", cluster.nodes[primary].id),
        Target::Replica(n) => {
            format!(
                "{} (replica)",
                cluster.nodes[replicas(cluster, primary)[n % 2]].id
            )
        }
        Target::Sentinel(n) => cluster.sentinels[n].id.to_string(),
        Target::Router => "router".to_string(),
    }
}
