//! Failovers. Automatic: the primary is objectively down; this sentinel wins the election,
//! installs the new record by compare-and-set, promotes the chosen replica and re-points the
//! others. Planned (`rg.<group>.sentinel.failover`, SENTINEL FAILOVER): the same, except
//! that the healthy primary first stops taking writes and the chosen replica catches up to
//! its offset, so that nothing acknowledged is lost.

use std::sync::Arc;
use std::time::Duration;

use rg_failover::election::next_epoch;
use rg_proto::events::EventName;
use rg_proto::messages::{ControlCommand, FailoverReply, FailoverRequest};
use rg_proto::topology::Topology;
use rg_proto::{Epoch, NodeId, Position};
use serde_json::json;

use crate::freeze::{self, Frozen};
use crate::{election, events, now_ms, topology, Sentinel};

/// How often a planned failover checks the chosen replica's offset while it catches up.
const CATCH_UP_POLL: Duration = Duration::from_millis(5);

/// Fails over from the objectively-down `old` primary, if this sentinel wins the election.
pub(crate) async fn automatic(sentinel: &Sentinel, old: NodeId, seen: Epoch) {
    let Ok(_guard) = sentinel.failing_over.try_lock() else {
        return;
    };
    let epoch = next_epoch(seen);
    match election::campaign(sentinel, epoch).await {
        election::Outcome::Won => {}
        election::Outcome::Lost => {
            tracing::info!(epoch = epoch.0, "another sentinel leads this epoch");
            return;
        }
        election::Outcome::Split => {
            let pause = election::split_pause(sentinel.settings.heartbeat_ms);
            tracing::info!(
                epoch = epoch.0,
                pause_ms = pause,
                "split vote; trying again"
            );
            sentinel.lock().retry_after_split(now_ms(), pause);
            return;
        }
    }
    tracing::info!(%old, epoch = epoch.0, "primary objectively down: elected to fail over");
    let details = json!({ "votes_needed": sentinel.settings.sentinels.len() / 2 + 1 });
    events::publish(sentinel, EventName::PrimaryDown, Some(&old), epoch, details).await;
    let outcome = take_over(sentinel, &old, None, epoch, None).await;
    finish(sentinel, &old, epoch, outcome).await;
}

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
    let Ok(_guard) = sentinel.failing_over.try_lock() else {
        return refuse("a failover is already in progress".into(), Epoch(0));
    };
    let (old, seen, old_down) = {
        let mut state = sentinel.lock();
        let now = now_ms();
        state.defer_attempts(&sentinel.rules, now);
        let Some((topology, _)) = &state.topology else {
            return refuse(
                "no topology record yet: the group has no known primary".into(),
                state.highest_epoch(),
            );
        };
        let old = topology.primary.clone();
        let down = state
            .opinion_of_primary(&sentinel.rules, now)
            .is_some_and(|(_, down)| down);
        (old, state.highest_epoch(), down)
    };
    let epoch = next_epoch(seen);
    if election::campaign(sentinel, epoch).await != election::Outcome::Won {
        return refuse(
            "not elected: no majority of the sentinel set answered".into(),
            epoch,
        );
    }
    tracing::info!(%old, ?target, epoch = epoch.0, "planned failover");
    let details = json!({ "target": target, "primary_up": !old_down });
    events::publish(
        sentinel,
        EventName::TestFailoverStarted,
        Some(&old),
        epoch,
        details,
    )
    .await;
    // A primary that is down cannot hand over; the failover is then an ordinary one.
    let handover = if old_down {
        None
    } else {
        match pause_primary(sentinel, &old, epoch).await {
            Ok(offset) => Some(offset),
            Err(reason) => {
                finish(sentinel, &old, epoch, Err(reason.clone())).await;
                return refuse(reason, epoch);
            }
        }
    };
    let paused = handover.is_some();
    let outcome = take_over(sentinel, &old, target.as_ref(), epoch, handover).await;
    if outcome.is_err() && paused {
        // The old primary keeps its role: let it take writes again at once.
        let _ = sentinel
            .control(&old, epoch, ControlCommand::ResumeWrites)
            .await;
    }
    finish(sentinel, &old, epoch, outcome.clone()).await;
    match outcome {
        Ok(new) => FailoverReply {
            accepted: true,
            reason: None,
            primary: Some(new),
            epoch,
        },
        Err(reason) => refuse(reason, epoch),
    }
}

/// Stops writes on the healthy primary for at most a failover timeout; its position then
/// is the last byte the new primary must have.
async fn pause_primary(
    sentinel: &Sentinel,
    old: &NodeId,
    epoch: Epoch,
) -> Result<Position, String> {
    let for_ms = sentinel.settings.failover_timeout_ms;
    let reply = sentinel
        .control(old, epoch, ControlCommand::PauseWrites { for_ms })
        .await?;
    Ok(Position::new(reply.repl_id, reply.offset))
}

/// Chooses the replica, installs the record, promotes it and re-points the rest. With
/// `handover`, first waits (within the failover timeout) until the replica holds that
/// offset of the old primary's stream; without, first freezes the replicas.
async fn take_over(
    sentinel: &Sentinel,
    old: &NodeId,
    target: Option<&NodeId>,
    epoch: Epoch,
    handover: Option<Position>,
) -> Result<NodeId, String> {
    let record = record_led_by(sentinel, old, epoch)?;
    if let Some(position) = handover {
        let choice = Choice::CaughtUp(position);
        return promote(sentinel, old, target, epoch, record, choice).await;
    }
    // With the old primary gone, its replicas' last heartbeats are up to a heartbeat stale:
    // the replica holding a write acknowledged just before the end may not look like the
    // most advanced. Frozen, each reports its final position and acknowledges no more.
    let frozen = freeze::replicas(sentinel, old, epoch).await;
    let outcome = promote(
        sentinel,
        old,
        target,
        epoch,
        record,
        Choice::Frozen(&frozen),
    )
    .await;
    if outcome.is_err() {
        freeze::thaw(sentinel, &frozen, epoch).await;
    }
    outcome
}

/// The record as this sentinel knows it, while it still names `old` as the primary of an
/// epoch older than `epoch`: if another leader has replaced it meanwhile, failing over again
/// would demote a healthy new primary.
fn record_led_by(
    sentinel: &Sentinel,
    old: &NodeId,
    epoch: Epoch,
) -> Result<(Topology, u64), String> {
    let (current, revision) = sentinel
        .lock()
        .topology
        .clone()
        .ok_or("no topology record")?;
    if current.primary != *old {
        return Err(format!(
            "the record's primary is already {} (epoch {})",
            current.primary, current.epoch.0
        ));
    }
    if current.epoch >= epoch {
        return Err(format!(
            "the record moved to epoch {} meanwhile",
            current.epoch.0
        ));
    }
    Ok((current, revision))
}

/// How the replica promoted is made sure to hold what the old primary acknowledged.
enum Choice<'a> {
    /// A planned failover: the chosen replica catches up to the paused primary's position.
    CaughtUp(Position),
    /// An automatic one: the most advanced of the replicas frozen at these positions.
    Frozen(&'a Frozen),
}

async fn promote(
    sentinel: &Sentinel,
    old: &NodeId,
    target: Option<&NodeId>,
    epoch: Epoch,
    record: (Topology, u64),
    choice: Choice<'_>,
) -> Result<NodeId, String> {
    let positions = match &choice {
        Choice::Frozen(frozen) => Some(&frozen.positions),
        Choice::CaughtUp(_) => None,
    };
    let chosen =
        sentinel
            .lock()
            .choose_replica(old, target, positions, &sentinel.rules, now_ms())?;
    events::publish(
        sentinel,
        EventName::FailoverStarted,
        Some(old),
        epoch,
        json!({ "candidate": chosen }),
    )
    .await;
    match &choice {
        Choice::CaughtUp(position) => catch_up(sentinel, &chosen, epoch, position).await?,
        Choice::Frozen(frozen) => frozen.still_held()?,
    }
    let (current, revision) = record;
    let mut new = current
        .failed_over(&chosen, epoch)
        .ok_or_else(|| format!("{chosen} is not a member of the record"))?;
    new.written_by = sentinel.settings.id.clone();
    new.written_at_ms = now_ms();
    if !topology::install(sentinel, &new, Some(revision)).await {
        return Err("another sentinel changed the topology record first".into());
    }
    let reply = sentinel
        .control(&chosen, epoch, ControlCommand::Promote)
        .await?;
    tracing::info!(new = %chosen, offset = %reply.offset, "replica promoted");
    events::publish(
        sentinel,
        EventName::ReplicaPromoted,
        Some(&chosen),
        epoch,
        json!({ "previous_primary": old, "offset": reply.offset.0 }),
    )
    .await;
    for member in new.replicas.iter().map(|m| &m.node) {
        let command = ControlCommand::ReplicateOf {
            primary: chosen.clone(),
        };
        // A member that is down now (the old primary) is re-pointed when it comes back.
        if sentinel.control(member, epoch, command).await.is_ok() {
            events::publish(
                sentinel,
                EventName::ReplicaRepointed,
                Some(member),
                epoch,
                json!({ "primary": chosen }),
            )
            .await;
        }
    }
    Ok(chosen)
}

async fn catch_up(
    sentinel: &Sentinel,
    chosen: &NodeId,
    epoch: Epoch,
    target: &Position,
) -> Result<(), String> {
    let deadline = now_ms() + sentinel.settings.failover_timeout_ms;
    loop {
        let reply = sentinel
            .control(chosen, epoch, ControlCommand::Ping)
            .await?;
        let at = Position::new(reply.repl_id, reply.offset);
        if at.covers(None, target) {
            return Ok(());
        }
        if now_ms() >= deadline {
            return Err(format!(
                "{chosen} did not catch up to offset {} of the primary's history within the \
                 failover timeout (it is at {} of {})",
                target.offset, at.offset, at.repl_id
            ));
        }
        tokio::time::sleep(CATCH_UP_POLL).await;
    }
}

async fn finish(sentinel: &Sentinel, old: &NodeId, epoch: Epoch, outcome: Result<NodeId, String>) {
    let summary = match &outcome {
        Ok(new) => format!("epoch {}: failed over from {old} to {new}", epoch.0),
        Err(reason) => format!("epoch {}: failover from {old} aborted: {reason}", epoch.0),
    };
    sentinel.lock().last_outcome = summary.clone();
    match outcome {
        Ok(new) => {
            tracing::info!("{summary}");
            let details = json!({ "previous_primary": old, "primary": new });
            events::publish(
                sentinel,
                EventName::FailoverComplete,
                Some(&new),
                epoch,
                details,
            )
            .await;
        }
        Err(reason) => {
            tracing::warn!("{summary}");
            let details = json!({ "reason": reason });
            events::publish(
                sentinel,
                EventName::FailoverAborted,
                Some(old),
                epoch,
                details,
            )
            .await;
        }
    }
}
