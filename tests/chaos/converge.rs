//! When the group has settled after a fault, as conditions to poll (each says why not yet,
//! and the last reason is what a round that never converged reports).

use std::time::{Duration, Instant};

use super::cluster::{Cluster, GROUP, SENTINEL_IDS};
use super::observe::{digest, poll, sentinel_view, view_of, NodeView, Role, SentinelView};

/// One node reports master, the two others are its replicas with the link up, and every
/// running sentinel names it. Returns the primary's index.
pub fn settled(cluster: &Cluster) -> Result<usize, String> {
    let views = views(cluster)?;
    let masters: Vec<usize> = (0..views.len())
        .filter(|&i| views[i].role == Role::Master)
        .collect();
    let &[primary] = masters.as_slice() else {
        let ids: Vec<&str> = masters.iter().map(|&i| cluster.nodes[i].id).collect();
        return Err(format!("{} nodes report master: {ids:?}", masters.len()));
    };
    let name = cluster.nodes[primary].id;
    let announced = cluster.nodes[primary].data.port;
    for (index, view) in views.iter().enumerate().filter(|(i, _)| *i != primary) {
        let id = cluster.nodes[index].id;
        if view.master_port != Some(announced) {
            return Err(format!(
                "{id} follows port {:?}, not {name}",
                view.master_port
            ));
        }
        if !view.link_up {
            return Err(format!("{id}'s link to {name} is down"));
        }
    }
    let mut replica_ports: Vec<u16> = (0..views.len())
        .filter(|&i| i != primary)
        .map(|i| cluster.nodes[i].data.port)
        .collect();
    replica_ports.sort_unstable();
    for (port, id) in cluster.live_sentinels() {
        let view = sentinel_view(port, GROUP).map_err(|e| format!("{id}: {e}"))?;
        sentinel_agrees(&view, announced, &replica_ports)
            .map_err(|e| format!("{id} does not see {name} as a healthy primary: {e}"))?;
    }
    Ok(primary)
}

/// The sentinel names the primary, neither it nor a replica is down, every replica's link
/// is up, and it hears every other sentinel.
fn sentinel_agrees(view: &SentinelView, primary: u16, replicas: &[u16]) -> Result<(), String> {
    if view.primary_port != Some(primary) || view.primary_flags != "master" {
        return Err(format!(
            "primary port {:?} flags {:?}",
            view.primary_port, view.primary_flags
        ));
    }
    let mut seen: Vec<u16> = Vec::new();
    for (port, flags, link) in &view.replicas {
        if flags != "slave" || link != "ok" {
            return Err(format!(
                "replica port {port:?} flags {flags:?} link {link:?}"
            ));
        }
        seen.extend(port);
    }
    seen.sort_unstable();
    if seen != replicas {
        return Err(format!("replicas {seen:?}, not {replicas:?}"));
    }
    if view.other_sentinels + 1 < SENTINEL_IDS.len() {
        return Err(format!("hears {} other sentinels", view.other_sentinels));
    }
    Ok(())
}

/// [`settled`] with the same primary for `STABLE` on end (a state seen once may be the
/// moment before the sentinels act: an old primary back from a cut, not yet demoted).
pub fn settled_stably(cluster: &Cluster, bound: Duration) -> Result<usize, String> {
    let mut since: Option<(usize, Instant)> = None;
    poll(bound, || {
        let primary = settled(cluster).inspect_err(|_| since = None)?;
        match since {
            Some((p, at)) if p == primary && at.elapsed() >= STABLE => Ok(primary),
            Some((p, _)) if p == primary => {
                Err(format!("settled on {} just now", cluster.nodes[p].id))
            }
            _ => {
                since = Some((primary, Instant::now()));
                Err("settled just now".to_string())
            }
        }
    })
}

const STABLE: Duration = Duration::from_millis(500);

/// With the writers paused: every replica holds the primary's whole stream, and every
/// node's dataset has the same `DEBUG DIGEST`.
pub fn caught_up(cluster: &Cluster, primary: usize) -> Result<(), String> {
    let target = view_of(cluster.nodes[primary].port)?.offset;
    for (index, node) in cluster.nodes.iter().enumerate() {
        let offset = view_of(node.port)
            .map_err(|e| format!("{}: {e}", node.id))?
            .offset;
        if index != primary && offset < target {
            return Err(format!("{} at offset {offset} of {target}", node.id));
        }
    }
    let digests = cluster
        .nodes
        .iter()
        .map(|n| digest(n.port).map(|d| (n.id, d)))
        .collect::<Result<Vec<_>, _>>()?;
    if digests.iter().any(|(_, d)| *d != digests[0].1) {
        return Err(format!("datasets differ: DEBUG DIGEST {digests:?}"));
    }
    Ok(())
}

fn views(cluster: &Cluster) -> Result<Vec<NodeView>, String> {
    cluster
        .nodes
        .iter()
        .map(|n| view_of(n.port).map_err(|e| format!("{}: {e}", n.id)))
        .collect()
}
