//! Leader election, one per failover: a candidate asks every sentinel of the set for its
//! vote in a new epoch; each votes at most once per epoch (the vote is on disk before it is
//! sent); a majority of the whole set elects.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use rg_failover::election::{backoff, Campaign, Vote};
use rg_proto::messages::{VoteReply, VoteRequest};
use rg_proto::{Epoch, NodeId};

use rg_proto::events::EventName;
use serde_json::json;

use crate::{events, Sentinel};

/// How long a candidate waits for votes. A voter persists its vote (two fsyncs) before it
/// answers, which took more than 300 ms on a machine busy with disk writes; a candidate
/// stops waiting as soon as it has a majority, so only a losing one waits this long.
const VOTE_TIMEOUT: Duration = Duration::from_millis(1000);
/// The spread of the random pause before asking, so that sentinels that see the primary
/// down at the same moment rarely split the vote.
const BACKOFF_SPREAD_MS: u64 = 100;

pub(crate) async fn serve_votes(sentinel: Arc<Sentinel>) {
    let subject = sentinel.subjects.sentinel_vote(&sentinel.settings.id);
    let Ok(mut requests) = sentinel.bus.subscribe::<VoteRequest>(subject).await else {
        tracing::error!("cannot serve vote requests");
        return;
    };
    while let Some((request, reply_to)) = requests.next().await {
        let Some(reply_to) = reply_to else { continue };
        if request.group != sentinel.settings.group {
            continue;
        }
        let granted = vote(&sentinel, &request.candidate, request.epoch);
        let reply = VoteReply {
            voter: sentinel.settings.id.clone(),
            epoch: request.epoch,
            granted,
        };
        // Published before the reply, so that the candidate's LeaderElected comes after.
        if granted {
            let details =
                json!({ "candidate": request.candidate, "sentinel": sentinel.settings.id });
            events::publish(
                &sentinel,
                EventName::VoteGranted,
                None,
                request.epoch,
                details,
            )
            .await;
        }
        let _ = sentinel.bus.reply(&reply_to, &reply).await;
    }
}

/// Votes, persisting the vote before it is given.
fn vote(sentinel: &Sentinel, candidate: &NodeId, epoch: Epoch) -> bool {
    let mut state = sentinel.lock();
    let granted = state.voter.request(candidate, epoch) == Vote::Granted;
    state.saw_epoch(epoch);
    if granted {
        if let Err(error) = sentinel.votes.save(epoch, candidate) {
            tracing::error!(%error, "cannot persist the vote; refusing it");
            return false;
        }
    }
    granted
}

/// How a campaign ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Won,
    /// Another candidate started this epoch first (and may be failing over now).
    Lost,
    /// This sentinel ran but got no majority: the vote split, no leader is at work.
    Split,
}

/// Pauses a random moment, then asks for votes in `epoch`.
pub(crate) async fn campaign(sentinel: &Sentinel, epoch: Epoch) -> Outcome {
    let pause = backoff(0, BACKOFF_SPREAD_MS, rand::thread_rng().gen());
    tokio::time::sleep(Duration::from_millis(pause)).await;
    if sentinel.lock().highest_epoch() >= epoch {
        return Outcome::Lost; // another candidate started this epoch meanwhile
    }
    let me = sentinel.settings.id.clone();
    let mut tally = Campaign::new(epoch, sentinel.settings.sentinels.clone());
    let own = if vote(sentinel, &me, epoch) {
        Vote::Granted
    } else {
        return Outcome::Lost;
    };
    tally.record(&me, epoch, &own);
    let mut ballots = tokio::task::JoinSet::new();
    for voter in sentinel.settings.sentinels.iter().filter(|s| **s != me) {
        let request = VoteRequest {
            group: sentinel.settings.group.clone(),
            candidate: me.clone(),
            epoch,
        };
        let subject = sentinel.subjects.sentinel_vote(voter);
        let bus = sentinel.bus.clone();
        ballots.spawn(async move {
            bus.request::<_, VoteReply>(subject, &request, VOTE_TIMEOUT)
                .await
        });
    }
    while let Some(answer) = ballots.join_next().await {
        if let Ok(Ok(reply)) = answer {
            let vote = if reply.granted {
                Vote::Granted
            } else {
                Vote::Stale
            };
            tally.record(&reply.voter, reply.epoch, &vote);
            if tally.won() {
                break; // no need to wait for a dead voter's timeout
            }
        }
    }
    if !tally.won() {
        return Outcome::Split;
    }
    let details = json!({ "sentinel": me, "sentinels": sentinel.settings.sentinels.len() });
    events::publish(sentinel, EventName::LeaderElected, None, epoch, details).await;
    Outcome::Won
}

/// A random pause before the next attempt after a split vote: a few heartbeats, spread so
/// that the candidates do not split again.
pub(crate) fn split_pause(heartbeat_ms: u64) -> u64 {
    backoff(heartbeat_ms, 4 * heartbeat_ms, rand::thread_rng().gen())
}
