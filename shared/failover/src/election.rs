//! Leader election for one failover: each sentinel votes at most once per epoch, and a
//! candidate leads only with a majority of the configured sentinel set, so a sentinel alone
//! behind a partition can never elect itself.

use std::collections::BTreeSet;

use rg_proto::{Epoch, NodeId};

use crate::Millis;

/// What a voter answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vote {
    Granted,
    /// Already voted in this epoch, for someone else.
    AlreadyVoted(NodeId),
    /// The request's epoch is older than one this voter voted in.
    Stale,
}

/// One sentinel's ballot. The driver must persist [`Voter::last_vote`] before it sends a
/// granted vote, so that a restarted sentinel never votes twice in one epoch.
#[derive(Debug, Clone, Default)]
pub struct Voter {
    last_vote: Option<(Epoch, NodeId)>,
}

impl Voter {
    /// Restores the ballot from what was persisted.
    pub fn restore(last_vote: Option<(Epoch, NodeId)>) -> Self {
        Voter { last_vote }
    }

    pub fn last_vote(&self) -> Option<&(Epoch, NodeId)> {
        self.last_vote.as_ref()
    }

    pub fn request(&mut self, candidate: &NodeId, epoch: Epoch) -> Vote {
        match &self.last_vote {
            Some((voted, _)) if epoch < *voted => Vote::Stale,
            Some((voted, whom)) if epoch == *voted => {
                if whom == candidate {
                    Vote::Granted
                } else {
                    Vote::AlreadyVoted(whom.clone())
                }
            }
            _ => {
                self.last_vote = Some((epoch, candidate.clone()));
                Vote::Granted
            }
        }
    }
}

/// A candidate's tally for one epoch.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub epoch: Epoch,
    sentinels: Vec<NodeId>,
    granted: BTreeSet<NodeId>,
}

impl Campaign {
    pub fn new(epoch: Epoch, sentinels: Vec<NodeId>) -> Self {
        Campaign {
            epoch,
            sentinels,
            granted: BTreeSet::new(),
        }
    }

    /// Counts a vote; votes from outside the sentinel set, or for other epochs, are ignored.
    pub fn record(&mut self, voter: &NodeId, epoch: Epoch, vote: &Vote) {
        if epoch == self.epoch && *vote == Vote::Granted && self.sentinels.contains(voter) {
            self.granted.insert(voter.clone());
        }
    }

    /// A strict majority of the whole configured set.
    pub fn won(&self) -> bool {
        self.granted.len() * 2 > self.sentinels.len()
    }
}

/// The epoch a new campaign uses: above every epoch seen.
pub fn next_epoch(highest_seen: Epoch) -> Epoch {
    Epoch(highest_seen.0 + 1)
}

/// How long to wait before (re)campaigning: a base plus a random share, so that sentinels
/// that saw the failure together do not split the vote again. `random` is any u64 the
/// driver draws.
pub fn backoff(base: Millis, spread: Millis, random: u64) -> Millis {
    base + if spread == 0 { 0 } else { random % spread }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> NodeId {
        NodeId::new(name).unwrap()
    }

    fn set() -> Vec<NodeId> {
        vec![id("s1"), id("s2"), id("s3")]
    }

    #[test]
    fn one_vote_per_epoch_and_never_backwards() {
        let mut voter = Voter::default();
        assert_eq!(voter.request(&id("s1"), Epoch(5)), Vote::Granted);
        assert_eq!(
            voter.request(&id("s1"), Epoch(5)),
            Vote::Granted,
            "idempotent"
        );
        assert_eq!(
            voter.request(&id("s2"), Epoch(5)),
            Vote::AlreadyVoted(id("s1"))
        );
        assert_eq!(voter.request(&id("s2"), Epoch(4)), Vote::Stale);
        assert_eq!(voter.request(&id("s2"), Epoch(6)), Vote::Granted);
    }

    #[test]
    fn a_restarted_voter_remembers_its_vote() {
        let mut voter = Voter::default();
        voter.request(&id("s1"), Epoch(7));
        let mut restarted = Voter::restore(voter.last_vote().cloned());
        assert_eq!(
            restarted.request(&id("s2"), Epoch(7)),
            Vote::AlreadyVoted(id("s1"))
        );
    }

    /// Three sentinels on a simulated network: `reachable[a][b]` says whether a's request
    /// reaches b. Each candidate first votes for itself, then asks the others in order.
    fn run_election(candidates: &[usize], epoch: u64, reachable: [[bool; 3]; 3]) -> Vec<bool> {
        let names = set();
        let mut voters: Vec<Voter> = (0..3).map(|_| Voter::default()).collect();
        let mut campaigns: Vec<Campaign> = candidates
            .iter()
            .map(|_| Campaign::new(Epoch(epoch), names.clone()))
            .collect();
        for (campaign, &c) in campaigns.iter_mut().zip(candidates) {
            let vote = voters[c].request(&names[c], Epoch(epoch));
            campaign.record(&names[c], Epoch(epoch), &vote);
        }
        for (campaign, &c) in campaigns.iter_mut().zip(candidates) {
            for v in (0..3).filter(|&v| v != c && reachable[c][v]) {
                let vote = voters[v].request(&names[c], Epoch(epoch));
                campaign.record(&names[v], Epoch(epoch), &vote);
            }
        }
        campaigns.iter().map(Campaign::won).collect()
    }

    const ALL: [[bool; 3]; 3] = [[true; 3]; 3];

    #[test]
    fn at_most_one_leader_per_epoch() {
        assert_eq!(run_election(&[0], 1, ALL), vec![true]);
        let both = run_election(&[0, 1], 1, ALL);
        assert_eq!(both.iter().filter(|w| **w).count(), 1, "{both:?}");
    }

    #[test]
    fn a_sentinel_cut_off_cannot_elect_itself() {
        let mut alone = [[true; 3]; 3];
        alone[0] = [true, false, false];
        assert_eq!(run_election(&[0], 1, alone), vec![false]);
    }

    #[test]
    fn a_split_vote_is_resolved_by_a_later_epoch() {
        // s3 unreachable: s1 and s2 each hold only their own vote.
        let mut split = [[true; 3]; 3];
        for row in split.iter_mut() {
            row[2] = false;
        }
        assert_eq!(run_election(&[0, 1], 1, split), vec![false, false]);
        // Randomized back-off lets one candidate ask first in the next epoch.
        assert_eq!(run_election(&[0], 2, split), vec![true]);
    }

    #[test]
    fn votes_from_strangers_or_other_epochs_do_not_count() {
        let mut campaign = Campaign::new(Epoch(3), set());
        campaign.record(&id("s1"), Epoch(3), &Vote::Granted);
        campaign.record(&id("mallory"), Epoch(3), &Vote::Granted);
        campaign.record(&id("s2"), Epoch(2), &Vote::Granted);
        assert!(!campaign.won());
        campaign.record(&id("s2"), Epoch(3), &Vote::Granted);
        assert!(campaign.won());
    }

    #[test]
    fn backoff_spreads_within_its_window() {
        assert_eq!(backoff(100, 0, 12345), 100);
        assert!((100..300).contains(&backoff(100, 200, 987_654_321)));
    }
}
