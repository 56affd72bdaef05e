//! ODOWN: enough sentinels of the known set hold the primary SDOWN at the same time.

use std::collections::BTreeMap;

use rg_proto::NodeId;

use crate::Millis;

/// The sentinels' latest opinions about one node.
#[derive(Debug, Clone, Default)]
pub struct Opinions {
    /// sentinel id -> (says down, when it said so)
    latest: BTreeMap<NodeId, (bool, Millis)>,
}

impl Opinions {
    pub fn record(&mut self, sentinel: NodeId, down: bool, at: Millis) {
        let newer = self.latest.get(&sentinel).is_none_or(|(_, t)| *t <= at);
        if newer {
            self.latest.insert(sentinel, (down, at));
        }
    }

    /// ODOWN: at least `quorum` members of `sentinels` say down in opinions no older than
    /// `fresh_for` (an opinion not renewed does not count).
    pub fn odown(
        &self,
        sentinels: &[NodeId],
        quorum: usize,
        now: Millis,
        fresh_for: Millis,
    ) -> bool {
        let down = sentinels
            .iter()
            .filter(|s| {
                matches!(self.latest.get(*s),
                    Some((true, at)) if now.saturating_sub(*at) <= fresh_for)
            })
            .count();
        quorum > 0 && down >= quorum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<NodeId> {
        names.iter().map(|n| NodeId::new(*n).unwrap()).collect()
    }

    #[test]
    fn quorum_of_fresh_opinions_from_known_sentinels() {
        let set = ids(&["s1", "s2", "s3"]);
        let mut opinions = Opinions::default();
        opinions.record(set[0].clone(), true, 1000);
        assert!(!opinions.odown(&set, 2, 1000, 500));
        // A stranger's opinion does not count towards the quorum.
        opinions.record(NodeId::new("intruder").unwrap(), true, 1000);
        assert!(!opinions.odown(&set, 2, 1000, 500));
        opinions.record(set[1].clone(), true, 1100);
        assert!(opinions.odown(&set, 2, 1200, 500));
        // Stale opinions expire.
        assert!(!opinions.odown(&set, 2, 1600, 500));
    }

    #[test]
    fn an_older_opinion_never_overwrites_a_newer_one() {
        let set = ids(&["s1", "s2"]);
        let mut opinions = Opinions::default();
        opinions.record(set[0].clone(), false, 2000);
        opinions.record(set[0].clone(), true, 1000);
        opinions.record(set[1].clone(), true, 2000);
        assert!(!opinions.odown(&set, 2, 2000, 500));
    }
}
