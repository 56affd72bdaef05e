//! Failovers, carried out. `rg_failover::procedure` decides every step of one; this module
//! sends what it asks for (votes, control requests, the record's compare-and-set, events)
//! and feeds back what came of it. Automatic failovers start from the tick when the
//! procedure finds one due; planned ones come as requests
//! (`rg.<group>.sentinel.failover`, SENTINEL FAILOVER).

use std::sync::Arc;
use std::time::Duration;

use futures::future::{ready, BoxFuture};
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use rg_failover::procedure::{Action, Failover, Input, Outcome};
use rg_proto::messages::{FailoverReply, FailoverRequest, VoteReply, VoteRequest};
use rg_proto::{Epoch, NodeId, Position};

use crate::{events, now_ms, topology, Sentinel};

/// How long a candidate waits for votes. A voter persists its vote (two fsyncs) before it
/// answers, which took more than 300 ms on a machine busy with disk writes; a candidate
/// moves on as soon as it has a majority, so only a losing one waits this long.
const VOTE_TIMEOUT: Duration = Duration::from_millis(1000);

/// Serves planned-failover requests; the set's sentinels share the subject as a queue
/// group, so each request is served once.
pub(crate) async fn serve_requests(sentinel: Arc<Sentinel>) {
    let subject = sentinel.subjects.sentinel_failover();
    let Ok(mut requests) = sentinel
        .bus
        .queue_subscribe::<FailoverRequest>(subject, "rg-sentinels")
        .await
    else {
        tracing::error!("cannot serve failover requests");
        return;
    };
    while let Some((request, reply_to)) = requests.next().await {
        let sentinel = sentinel.clone();
        tokio::spawn(async move {
            let reply = planned(&sentinel, request.target).await;
            if let Some(reply_to) = reply_to {
                let _ = sentinel.bus.reply(&reply_to, &reply).await;
            }
        });
    }
}

/// A planned failover of the group to `target` (or the best replica).
pub(crate) async fn planned(sentinel: &Sentinel, target: Option<NodeId>) -> FailoverReply {
    let refuse = |reason: String, epoch: Epoch| FailoverReply {
        accepted: false,
        reason: Some(reason),
        primary: None,
        epoch,
    };
    let started = Failover::planned(
        &mut sentinel.lock(),
        &sentinel.rules,
        target,
        now_ms(),
        rand::random(),
    );
    let failover = match started {
        Ok(failover) => failover,
        Err((reason, epoch)) => return refuse(reason, epoch),
    };
    let epoch = failover.epoch();
    match drive(sentinel, failover).await {
        Outcome::Done(Ok(new)) => FailoverReply {
            accepted: true,
            reason: None,
            primary: Some(new),
            epoch,
        },
        Outcome::Done(Err(reason)) => refuse(reason, epoch),
        Outcome::Lost | Outcome::Split => refuse(
            "not elected: no majority of the sentinel set answered".into(),
            epoch,
        ),
    }
}

/// Runs the procedure to its end: every action it returns is carried out, and every one
/// but an event brings exactly one input back.
pub(crate) async fn drive(sentinel: &Sentinel, mut failover: Failover) -> Outcome {
    let mut pending: FuturesUnordered<BoxFuture<'_, Input>> = FuturesUnordered::new();
    let mut input = Input::Wake;
    loop {
        let actions = failover.step(&mut sentinel.lock(), &sentinel.rules, now_ms(), input);
        for action in actions {
            carry_out(sentinel, action, &mut pending).await;
        }
        if let Some(outcome) = failover.outcome() {
            // What the last step asked for (an abort's thaws, the old primary's resume)
            // is carried out before the procedure ends: the futures are lazy, and dropped
            // unpolled they would never reach the nodes. Every request has its timeout.
            while pending.next().await.is_some() {}
            report(sentinel, &failover, outcome);
            return outcome.clone();
        }
        let wake = failover.next_wake();
        if pending.is_empty() && wake.is_none() {
            // Every phase waits on an answer or a time: reaching here is a bug, and
            // waiting would keep the group's record and nodes from everyone else for ever.
            tracing::error!(epoch = failover.epoch().0, "failover procedure stalled");
            failover.abandon(&mut sentinel.lock(), "the failover procedure stalled");
            return Outcome::Done(Err("the failover procedure stalled".into()));
        }
        let sleep = wake.map_or(Duration::from_secs(3600), |at| {
            Duration::from_millis(at.saturating_sub(now_ms()))
        });
        input = tokio::select! {
            Some(answer) = pending.next() => answer,
            _ = tokio::time::sleep(sleep) => Input::Wake,
        };
    }
}

async fn carry_out<'a>(
    sentinel: &'a Sentinel,
    action: Action,
    pending: &mut FuturesUnordered<BoxFuture<'a, Input>>,
) {
    match action {
        Action::Event(event) => {
            let (name, node, epoch) = (event.name, &event.node, event.epoch.0);
            tracing::info!(event = ?name, ?node, epoch, details = %event.details, "failover");
            events::publish(sentinel, event).await;
        }
        Action::PersistVote { epoch, candidate } => {
            let saved = sentinel.votes.save(epoch, &candidate).map_err(|error| {
                tracing::error!(%error, "cannot persist the vote; not campaigning");
                error.to_string()
            });
            pending.push(ready(Input::Persisted(saved)).boxed());
        }
        Action::AskVotes { epoch } => {
            let me = &sentinel.rules.id;
            for voter in sentinel.rules.sentinels.iter().filter(|s| *s != me) {
                pending.push(ask_vote(sentinel, voter.clone(), epoch).boxed());
            }
        }
        Action::Control {
            node,
            epoch,
            command,
        } => {
            pending.push(
                async move {
                    let result = sentinel
                        .control(&node, epoch, command.clone())
                        .await
                        .map(|reply| Position::new(reply.repl_id, reply.offset));
                    Input::Control {
                        node,
                        command,
                        result,
                    }
                }
                .boxed(),
            );
        }
        Action::ReadRecord => {
            pending
                .push(async move { Input::ReadBack(topology::read_back(sentinel).await) }.boxed());
        }
        Action::Install { record, expected } => {
            pending.push(
                async move {
                    Input::Installed(topology::install(sentinel, &record, Some(expected)).await)
                }
                .boxed(),
            );
        }
    }
}

async fn ask_vote(sentinel: &Sentinel, voter: NodeId, epoch: Epoch) -> Input {
    let request = VoteRequest {
        group: sentinel.settings.group.clone(),
        candidate: sentinel.rules.id.clone(),
        epoch,
    };
    let subject = sentinel.subjects.sentinel_vote(&voter);
    let reply = sentinel
        .bus
        .request::<_, VoteReply>(subject, &request, VOTE_TIMEOUT)
        .await;
    let granted = reply.ok().map(|r| r.granted && r.epoch == epoch);
    Input::Vote {
        voter,
        epoch,
        granted,
    }
}

fn report(sentinel: &Sentinel, failover: &Failover, outcome: &Outcome) {
    let epoch = failover.epoch().0;
    match outcome {
        Outcome::Lost => tracing::info!(epoch, "another sentinel leads this epoch"),
        Outcome::Split => tracing::info!(epoch, "split vote; trying again"),
        Outcome::Done(result) => {
            let summary = sentinel.lock().last_outcome.clone();
            match result {
                Ok(_) => tracing::info!("{summary}"),
                Err(_) => tracing::warn!("{summary}"),
            }
        }
    }
}
