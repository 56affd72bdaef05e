//! rg-sentinel: watches one replication group's nodes, judges the primary's health with the
//! other sentinels, elects a leader for each failover and promotes the best replica.
//!
//! - `config`: settings, checked (the sentinel set must contain this sentinel, quorum fits).
//! - `state`: what this sentinel has seen; the decisions come from `rg-failover`.
//! - `ping` and `vote_store`: the active PING, and the last vote kept on disk.
//! - [`run`]: the tasks on the bus.

pub mod config;
mod ping;
mod state;
mod vote_store;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use rg_bus::Bus;
use rg_failover::election::{backoff, next_epoch, Campaign, Vote};
use rg_proto::messages::{
    ControlCommand, ControlReply, ControlRequest, Heartbeat, SentinelHeartbeat, SentinelOpinion,
    VoteReply, VoteRequest,
};
use rg_proto::{Epoch, NodeId, Subjects};

use config::Settings;
use state::State;
use vote_store::VoteStore;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

struct Sentinel {
    settings: Settings,
    bus: Bus,
    subjects: Subjects,
    state: Mutex<State>,
    votes: VoteStore,
}

/// Watches the group until the process ends.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let bus = Bus::connect(&settings.nats_url, &format!("rg-sentinel {}", settings.id)).await?;
    let votes = VoteStore::new(&settings.state_dir, &settings.group);
    let state = State::new(now_ms(), votes.load());
    let sentinel = Arc::new(Sentinel {
        subjects: Subjects::new(&settings.prefix, &settings.group),
        settings,
        bus,
        state: Mutex::new(state),
        votes,
    });
    tracing::info!(id = %sentinel.settings.id, group = %sentinel.settings.group, "watching");
    tokio::spawn(watch_nodes(sentinel.clone()));
    tokio::spawn(watch_opinions(sentinel.clone()));
    tokio::spawn(serve_votes(sentinel.clone()));
    let mut tick = tokio::time::interval(Duration::from_millis(sentinel.settings.heartbeat_ms));
    loop {
        tick.tick().await;
        publish_liveness(&sentinel).await;
        ping_nodes(&sentinel).await;
        // Bound first: an `if let` would hold the state lock through the campaign.
        let due = sentinel.lock().failover_due(&sentinel.settings, now_ms());
        if let Some((primary, epoch)) = due {
            campaign(&sentinel, primary, epoch).await;
        }
        repoint_stale_primaries(&sentinel).await;
    }
}

impl Sentinel {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn publish_liveness(sentinel: &Sentinel) {
    let me = &sentinel.settings.id;
    let epoch = sentinel.lock().highest_epoch();
    let heartbeat = SentinelHeartbeat {
        group: sentinel.settings.group.clone(),
        sentinel: me.clone(),
        epoch,
    };
    let _ = sentinel
        .bus
        .publish(sentinel.subjects.sentinel_heartbeat(me), &heartbeat)
        .await;
    let opinion = sentinel
        .lock()
        .opinion_of_primary(&sentinel.settings, now_ms());
    if let Some((node, down)) = opinion {
        if down {
            tracing::debug!(%node, "subjectively down");
        }
        let opinion = SentinelOpinion {
            group: sentinel.settings.group.clone(),
            sentinel: me.clone(),
            node,
            down,
        };
        let _ = sentinel
            .bus
            .publish(sentinel.subjects.sentinel_opinion(me), &opinion)
            .await;
    }
}

async fn ping_nodes(sentinel: &Sentinel) {
    let addresses = sentinel.lock().addresses();
    for (node, address) in addresses {
        if ping::ping(&address).await {
            sentinel.lock().ping_ok(&node, now_ms());
        }
    }
}

async fn watch_nodes(sentinel: Arc<Sentinel>) {
    let Ok(mut heartbeats) = sentinel
        .bus
        .subscribe::<Heartbeat>(sentinel.subjects.heartbeats())
        .await
    else {
        tracing::error!("cannot follow node heartbeats");
        return;
    };
    while let Some((heartbeat, _)) = heartbeats.next().await {
        if heartbeat.group == sentinel.settings.group {
            sentinel.lock().heartbeat(heartbeat, now_ms());
        }
    }
}

async fn watch_opinions(sentinel: Arc<Sentinel>) {
    let subject = sentinel.subjects.sentinel_opinions();
    let Ok(mut opinions) = sentinel.bus.subscribe::<SentinelOpinion>(subject).await else {
        tracing::error!("cannot follow other sentinels' opinions");
        return;
    };
    while let Some((opinion, _)) = opinions.next().await {
        if opinion.group == sentinel.settings.group {
            sentinel.lock().opinion(opinion, now_ms());
        }
    }
}

async fn serve_votes(sentinel: Arc<Sentinel>) {
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

/// Asks for votes in a new epoch and, with a majority of the sentinel set, fails over.
async fn campaign(sentinel: &Sentinel, primary: NodeId, epoch: Epoch) {
    let epoch = next_epoch(epoch);
    let pause = backoff(0, 200, rand::thread_rng().gen());
    tokio::time::sleep(Duration::from_millis(pause)).await;
    if sentinel.lock().highest_epoch() >= epoch {
        return; // someone else started this epoch meanwhile
    }
    let me = sentinel.settings.id.clone();
    let mut tally = Campaign::new(epoch, sentinel.settings.sentinels.clone());
    let own = if vote(sentinel, &me, epoch) {
        Vote::Granted
    } else {
        Vote::Stale
    };
    tally.record(&me, epoch, &own);
    tracing::info!(%primary, epoch = epoch.0, "primary objectively down: asking for votes");
    for voter in sentinel.settings.sentinels.iter().filter(|s| **s != me) {
        let request = VoteRequest {
            group: sentinel.settings.group.clone(),
            candidate: me.clone(),
            epoch,
        };
        let subject = sentinel.subjects.sentinel_vote(voter);
        if let Ok(reply) = sentinel
            .bus
            .request::<_, VoteReply>(subject, &request, Duration::from_millis(300))
            .await
        {
            let vote = if reply.granted {
                Vote::Granted
            } else {
                Vote::Stale
            };
            tally.record(&reply.voter, reply.epoch, &vote);
        }
    }
    if !tally.won() {
        tracing::info!(
            epoch = epoch.0,
            "no majority; will retry after the failover timeout"
        );
        return;
    }
    failover(sentinel, &primary, epoch).await;
}

async fn failover(sentinel: &Sentinel, old: &NodeId, epoch: Epoch) {
    let (chosen, others) = {
        let state = sentinel.lock();
        (
            state.choose_replica(old, &sentinel.settings, now_ms()),
            state.node_ids(),
        )
    };
    let Some(chosen) = chosen else {
        tracing::warn!(%old, "no replica fit to promote");
        return;
    };
    tracing::info!(%old, new = %chosen, epoch = epoch.0, "failing over");
    match control(sentinel, &chosen, epoch, ControlCommand::Promote).await {
        Some(reply) if reply.accepted => {}
        other => {
            tracing::warn!(?other, %chosen, "promotion refused or unanswered");
            return;
        }
    }
    for node in others.iter().filter(|n| **n != chosen) {
        let command = ControlCommand::ReplicateOf {
            primary: chosen.clone(),
        };
        control(sentinel, node, epoch, command).await;
    }
    sentinel.lock().failed_over(epoch);
}

/// A node still claiming to be primary in an older epoch (it was down during the failover)
/// is told to follow the current primary.
async fn repoint_stale_primaries(sentinel: &Sentinel) {
    let stale = sentinel
        .lock()
        .stale_primaries(&sentinel.settings, now_ms());
    for (node, primary, epoch) in stale {
        tracing::info!(%node, %primary, "re-pointing a primary from an older epoch");
        control(
            sentinel,
            &node,
            epoch,
            ControlCommand::ReplicateOf { primary },
        )
        .await;
    }
}

async fn control(
    sentinel: &Sentinel,
    node: &NodeId,
    epoch: Epoch,
    command: ControlCommand,
) -> Option<ControlReply> {
    let request = ControlRequest {
        group: sentinel.settings.group.clone(),
        epoch,
        command,
    };
    let subject = sentinel.subjects.control(node);
    sentinel
        .bus
        .request(subject, &request, Duration::from_millis(500))
        .await
        .ok()
}
