//! Which replica a failover promotes: among replicas that are up, not marked
//! `replica-priority 0`, and not disconnected from the old primary for too long, the lowest
//! priority number, then the highest replication offset, then the lowest node id (as Redis
//! Sentinel chooses). An automatic failover, whose offsets are final, first keeps only the
//! replicas holding the most data.

use rg_proto::{NodeId, Offset};

use crate::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    pub node: NodeId,
    pub up: bool,
    /// `replica-priority`: lower is preferred; 0 never promoted.
    pub priority: u32,
    pub offset: Offset,
    /// How long its link to the old primary has been down.
    pub disconnected_for: Millis,
}

pub fn choose(replicas: &[Replica], max_disconnected: Millis) -> Option<&Replica> {
    replicas
        .iter()
        .filter(|r| r.fit(max_disconnected))
        .min_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then(b.offset.cmp(&a.offset))
                .then(a.node.cmp(&b.node))
        })
}

/// The fit replicas that hold the most data: the ones an automatic failover chooses among
/// when their offsets are final (frozen), since a write acknowledged by any replica is held
/// by every replica at the highest offset. Priority then only breaks ties, where Redis
/// Sentinel lets it pass over a replica with more data.
pub fn holding_most(replicas: &[Replica], max_disconnected: Millis) -> Vec<Replica> {
    let fit = || replicas.iter().filter(|r| r.fit(max_disconnected));
    let Some(most) = fit().map(|r| r.offset).max() else {
        return Vec::new();
    };
    fit().filter(|r| r.offset == most).cloned().collect()
}

impl Replica {
    fn fit(&self, max_disconnected: Millis) -> bool {
        self.up && self.priority != 0 && self.disconnected_for <= max_disconnected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(name: &str, priority: u32, offset: u64) -> Replica {
        Replica {
            node: NodeId::new(name).unwrap(),
            up: true,
            priority,
            offset: Offset(offset),
            disconnected_for: 0,
        }
    }

    #[test]
    fn priority_then_offset_then_id() {
        let replicas = vec![
            replica("c", 100, 50),
            replica("b", 100, 90),
            replica("a", 100, 90),
            replica("z", 50, 10),
        ];
        assert_eq!(choose(&replicas, 10_000).unwrap().node.as_str(), "z");
        assert_eq!(choose(&replicas[..3], 10_000).unwrap().node.as_str(), "a");
    }

    #[test]
    fn down_priority_zero_and_long_disconnected_replicas_are_never_chosen() {
        let mut down = replica("a", 1, 100);
        down.up = false;
        let never = replica("b", 0, 100);
        let mut stale = replica("c", 1, 100);
        stale.disconnected_for = 60_000;
        assert_eq!(choose(&[down, never, stale], 10_000), None);
    }

    #[test]
    fn with_final_offsets_the_most_data_comes_before_priority() {
        let mut down = replica("d", 1, 500);
        down.up = false;
        let replicas = vec![
            replica("a", 1, 90),
            replica("b", 100, 120),
            replica("c", 50, 120),
            replica("z", 0, 400),
            down,
        ];
        let most = holding_most(&replicas, 10_000);
        let names: Vec<&str> = most.iter().map(|r| r.node.as_str()).collect();
        assert_eq!(names, ["b", "c"], "unfit replicas count for nothing");
        assert_eq!(choose(&most, 10_000).unwrap().node.as_str(), "c");
        assert!(holding_most(&replicas[3..], 10_000).is_empty());
    }
}
