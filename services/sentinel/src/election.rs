//! Votes given: each sentinel votes at most once per epoch (`rg_failover::election`), and
//! the vote is on disk before it is sent. Asking for votes is part of the failover
//! procedure (`failover.rs`).

use std::sync::Arc;

use rg_proto::messages::{VoteReply, VoteRequest};
use rg_proto::{Epoch, NodeId};

use rg_failover::PublicEvent;
use rg_proto::events::EventName;
use serde_json::json;

use crate::{events, Sentinel};

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
            let event = PublicEvent {
                name: EventName::VoteGranted,
                node: None,
                epoch: request.epoch,
                details,
            };
            events::publish(&sentinel, event).await;
        }
        let _ = sentinel.bus.reply(&reply_to, &reply).await;
    }
}

/// Votes, persisting the vote before it is given.
fn vote(sentinel: &Sentinel, candidate: &NodeId, epoch: Epoch) -> bool {
    let granted = sentinel.lock().grant_vote(candidate, epoch);
    if granted {
        if let Err(error) = sentinel.votes.save(epoch, candidate) {
            tracing::error!(%error, "cannot persist the vote; refusing it");
            return false;
        }
    }
    granted
}
