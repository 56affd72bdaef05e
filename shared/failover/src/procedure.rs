//! One failover, from the election to the last re-point, as a state machine. The driver
//! calls [`Failover::step`] with the time and what happened (a wake-up, a vote, a node's
//! answer, the result of the compare-and-set), carries out the [`Action`]s it returns, and
//! feeds back what came of them; nothing is decided between its awaits.
//!
//! Automatic (the primary is objectively down): win the election, freeze the replicas so
//! their positions are final, promote the one holding the most, re-point the rest.
//! Planned (SENTINEL FAILOVER): the same, except that a primary that is up first stops
//! taking writes and the chosen replica catches up to its position, so nothing
//! acknowledged is lost.

use std::collections::{BTreeMap, BTreeSet};

use rg_proto::events::EventName;
use rg_proto::messages::ControlCommand;
use rg_proto::topology::Topology;
use rg_proto::{Epoch, NodeId, Position};
use serde_json::{json, Value};

use crate::election::{backoff, next_epoch, Campaign, Vote};
use crate::view::{Revision, State};
use crate::{Millis, PublicEvent, Rules};

/// The spread of the random pause before asking for votes, so that sentinels that see the
/// primary down at the same moment rarely split the vote.
pub const BACKOFF_SPREAD_MS: Millis = 100;
/// How long after freezing the replicas a leader may still install the new record: well
/// within the ten seconds a node keeps its promise, so no replica can have gone back to the
/// old primary's stream by the time one is promoted.
pub const FREEZE_BUDGET_MS: Millis = 2_000;
/// How often a planned failover asks the chosen replica's position while it catches up.
pub const CATCH_UP_POLL_MS: Millis = 5;
/// How long a leader whose compare-and-set went unanswered keeps reading the record back
/// to learn whether it was written, and how often.
pub const CONFIRM_BUDGET_MS: Millis = 2_000;
pub const CONFIRM_RETRY_MS: Millis = 100;

/// What the driver reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Time passed: a wake-up asked for by [`Failover::next_wake`], or any other.
    Wake,
    /// This sentinel's own vote is on disk, or could not be written.
    Persisted(Result<(), String>),
    /// A voter's answer to [`Action::AskVotes`]; `None` when it did not answer in time.
    Vote {
        voter: NodeId,
        epoch: Epoch,
        granted: Option<bool>,
    },
    /// A node's answer to [`Action::Control`]: its position, or why the request failed.
    Control {
        node: NodeId,
        command: ControlCommand,
        result: Result<Position, String>,
    },
    /// What came of [`Action::Install`]: written, not written (another writer changed the
    /// record first, or the store is not open), or `None` when no answer came, so that it
    /// may have been written or not.
    Installed(Option<bool>),
    /// The record as [`Action::ReadRecord`] found it; `None` when it could not be read.
    ReadBack(Option<Topology>),
}

/// What the driver carries out.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Write this sentinel's vote to disk, then report [`Input::Persisted`].
    PersistVote { epoch: Epoch, candidate: NodeId },
    /// Ask every other sentinel of the set for its vote; one [`Input::Vote`] each.
    AskVotes { epoch: Epoch },
    /// Send `command` to `node`; one [`Input::Control`] back.
    Control {
        node: NodeId,
        epoch: Epoch,
        command: ControlCommand,
    },
    /// Write `record` over revision `expected`; one [`Input::Installed`] back.
    Install {
        record: Topology,
        expected: Revision,
    },
    /// Read the record from the store; one [`Input::ReadBack`] back.
    ReadRecord,
    /// Publish a public event.
    Event(PublicEvent),
}

/// How a failover ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Another candidate started this epoch first (and may be failing over now).
    Lost,
    /// This sentinel ran but got no majority: the vote split, no leader is at work.
    Split,
    /// Elected: the new primary, or why the failover was aborted.
    Done(Result<NodeId, String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Automatic,
    Planned {
        target: Option<NodeId>,
        /// The primary was down when asked: no handover, an ordinary failover.
        primary_down: bool,
    },
}

/// How the replica promoted is made sure to hold what the old primary acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
    /// A planned failover: the chosen replica catches up to the paused primary's position.
    CaughtUp(Position),
    /// An automatic one: the most advanced of the replicas frozen at these positions.
    Frozen {
        positions: BTreeMap<NodeId, Position>,
        at: Millis,
    },
}

#[derive(Debug, Clone)]
enum Phase {
    /// The random pause before campaigning.
    Pausing {
        until: Millis,
    },
    Persisting,
    Electing {
        campaign: Campaign,
        waiting: usize,
    },
    /// Stopping writes on the healthy primary of a planned failover.
    HoldingWrites,
    Freezing {
        /// Every replica asked, and those yet to answer.
        asked: BTreeSet<NodeId>,
        waiting: BTreeSet<NodeId>,
        positions: BTreeMap<NodeId, Position>,
        at: Millis,
    },
    CatchingUp {
        chosen: NodeId,
        target: Position,
        deadline: Millis,
        /// When to ask again; None while an answer is awaited.
        next_poll: Option<Millis>,
    },
    Installing {
        chosen: NodeId,
        new: Topology,
    },
    /// The compare-and-set went unanswered: reading the record back to learn whether it
    /// was written.
    Confirming {
        chosen: NodeId,
        new: Topology,
        deadline: Millis,
        /// When to read again; None while a read is awaited.
        next_read: Option<Millis>,
    },
    Promoting {
        chosen: NodeId,
        new: Topology,
    },
    Repointing {
        chosen: NodeId,
        waiting: BTreeSet<NodeId>,
    },
    Finished(Outcome),
}

/// One failover in `epoch`, away from `old`.
#[derive(Debug, Clone)]
pub struct Failover {
    old: NodeId,
    epoch: Epoch,
    kind: Kind,
    phase: Phase,
    /// The record this failover replaces and its revision, once elected.
    record: Option<(Topology, Revision)>,
    choice: Option<Choice>,
    /// Every replica asked to freeze, answered or not: thawed if the failover aborts (a
    /// freeze whose answer was lost or late still holds the replica back, and it would
    /// refuse the old primary's stream until the promise lapses).
    asked_to_freeze: BTreeSet<NodeId>,
    /// The primary's writes are held: resumed if the failover aborts.
    paused: bool,
    random: u64,
}

impl Failover {
    /// An automatic failover, when one is due: the primary is objectively down, no other
    /// failover of this sentinel's runs and no attempt is pending. `random` is any number
    /// the driver draws (the back-offs are taken from it).
    pub fn automatic(
        view: &mut State,
        rules: &Rules,
        now: Millis,
        random: u64,
    ) -> Option<Failover> {
        let (old, seen) = view.failover_due(rules, now)?;
        view.set_failing_over(true);
        Some(Failover::automatic_from(old, seen, now, random))
    }

    /// An automatic failover from `old`, beyond the epoch `seen`.
    fn automatic_from(old: NodeId, seen: Epoch, now: Millis, random: u64) -> Failover {
        Failover::new(old, seen, Kind::Automatic, now, random)
    }

    /// A planned failover of the group to `target` (or the best replica), or why it cannot
    /// start. Automatic attempts are held back meanwhile.
    pub fn planned(
        view: &mut State,
        rules: &Rules,
        target: Option<NodeId>,
        now: Millis,
        random: u64,
    ) -> Result<Failover, (String, Epoch)> {
        if view.failing_over() {
            return Err((
                "a failover is already in progress".into(),
                view.highest_epoch(),
            ));
        }
        view.defer_attempts(rules, now);
        let Some((topology, _)) = &view.topology else {
            return Err((
                "no topology record yet: the group has no known primary".into(),
                view.highest_epoch(),
            ));
        };
        let old = topology.primary.clone();
        let primary_down = view
            .opinion_of_primary(rules, now)
            .is_some_and(|(_, down)| down);
        let kind = Kind::Planned {
            target,
            primary_down,
        };
        view.set_failing_over(true);
        Ok(Failover::new(old, view.highest_epoch(), kind, now, random))
    }

    fn new(old: NodeId, seen: Epoch, kind: Kind, now: Millis, random: u64) -> Failover {
        let random = mix(random);
        Failover {
            old,
            epoch: next_epoch(seen),
            kind,
            phase: Phase::Pausing {
                until: now + backoff(0, BACKOFF_SPREAD_MS, random),
            },
            record: None,
            choice: None,
            asked_to_freeze: BTreeSet::new(),
            paused: false,
            random: mix(random),
        }
    }

    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    pub fn old_primary(&self) -> &NodeId {
        &self.old
    }

    /// Ends a failover the driver cannot carry on (its procedure asked for nothing and
    /// set no time): the record and the nodes are free again.
    pub fn abandon(&mut self, view: &mut State, reason: &str) {
        view.set_failing_over(false);
        view.last_outcome = format!("epoch {}: failover abandoned: {reason}", self.epoch.0);
        self.phase = Phase::Finished(Outcome::Done(Err(reason.to_string())));
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.phase {
            Phase::Finished(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// When the driver must call [`Failover::step`] with [`Input::Wake`] at the latest.
    pub fn next_wake(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Pausing { until } => Some(*until),
            Phase::CatchingUp { next_poll, .. } => *next_poll,
            Phase::Confirming { next_read, .. } => *next_read,
            _ => None,
        }
    }

    /// Takes what happened and returns what to do next.
    pub fn step(
        &mut self,
        view: &mut State,
        rules: &Rules,
        now: Millis,
        input: Input,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let phase = std::mem::replace(&mut self.phase, Phase::Finished(Outcome::Lost));
        self.phase = self.next(phase, view, rules, now, input, &mut actions);
        if self.outcome().is_some() {
            view.set_failing_over(false);
        }
        if let Phase::Finished(Outcome::Done(result)) = &self.phase {
            let (epoch, old) = (self.epoch.0, &self.old);
            view.last_outcome = match result {
                Ok(new) => format!("epoch {epoch}: failed over from {old} to {new}"),
                Err(reason) => format!("epoch {epoch}: failover from {old} aborted: {reason}"),
            };
        }
        actions
    }

    fn next(
        &mut self,
        phase: Phase,
        view: &mut State,
        rules: &Rules,
        now: Millis,
        input: Input,
        actions: &mut Vec<Action>,
    ) -> Phase {
        match (phase, input) {
            (Phase::Pausing { until }, Input::Wake) if now < until => Phase::Pausing { until },
            (Phase::Pausing { .. }, Input::Wake) => {
                // Another candidate started this epoch meanwhile.
                if view.highest_epoch() >= self.epoch || !view.grant_vote(&rules.id, self.epoch) {
                    return Phase::Finished(Outcome::Lost);
                }
                actions.push(Action::PersistVote {
                    epoch: self.epoch,
                    candidate: rules.id.clone(),
                });
                Phase::Persisting
            }
            (Phase::Persisting, Input::Persisted(Err(_))) => Phase::Finished(Outcome::Lost),
            (Phase::Persisting, Input::Persisted(Ok(()))) => {
                let mut campaign = Campaign::new(self.epoch, rules.sentinels.clone());
                campaign.record(&rules.id, self.epoch, &Vote::Granted);
                let waiting = rules.sentinels.iter().filter(|s| **s != rules.id).count();
                if waiting > 0 {
                    actions.push(Action::AskVotes { epoch: self.epoch });
                }
                self.tally(campaign, waiting, view, rules, now, actions)
            }
            (
                Phase::Electing {
                    mut campaign,
                    waiting,
                },
                Input::Vote {
                    voter,
                    epoch,
                    granted,
                },
            ) => {
                let vote = if granted == Some(true) {
                    Vote::Granted
                } else {
                    Vote::Stale
                };
                campaign.record(&voter, epoch, &vote);
                self.tally(
                    campaign,
                    waiting.saturating_sub(1),
                    view,
                    rules,
                    now,
                    actions,
                )
            }
            (
                Phase::HoldingWrites,
                Input::Control {
                    command: ControlCommand::PauseWrites { .. },
                    result,
                    ..
                },
            ) => match result {
                Ok(position) => {
                    self.paused = true;
                    self.choice = Some(Choice::CaughtUp(position));
                    self.choose(view, rules, now, actions)
                }
                Err(reason) => self.abort(reason, actions),
            },
            (
                Phase::Freezing {
                    asked,
                    mut waiting,
                    mut positions,
                    at,
                },
                Input::Control {
                    node,
                    command: ControlCommand::Freeze,
                    result,
                },
            ) => {
                waiting.remove(&node);
                if let Ok(position) = result {
                    positions.insert(node, position);
                }
                if !waiting.is_empty() {
                    return Phase::Freezing {
                        asked,
                        waiting,
                        positions,
                        at,
                    };
                }
                // A replica that is up may hold a write acknowledged just before the end
                // that the others lack: without its position (its answer was lost or
                // late), comparing the rest could promote one without that write. Try
                // again in a moment rather than guess.
                let silent: Vec<String> = asked
                    .iter()
                    .filter(|node| !positions.contains_key(*node) && !view.down(node, rules, now))
                    .map(|node| node.to_string())
                    .collect();
                self.choice = Some(Choice::Frozen { positions, at });
                if !silent.is_empty() {
                    view.retry_soon(now, self.retry_pause(rules));
                    return self.abort(
                        format!(
                            "{} did not report a frozen position though up: it may hold \
                             acknowledged writes the others lack",
                            silent.join(", ")
                        ),
                        actions,
                    );
                }
                self.choose(view, rules, now, actions)
            }
            (
                Phase::CatchingUp {
                    chosen,
                    target,
                    deadline,
                    next_poll: Some(due),
                },
                Input::Wake,
            ) => {
                if now >= due {
                    actions.push(self.control(&chosen, ControlCommand::Ping));
                }
                let next_poll = (now < due).then_some(due);
                Phase::CatchingUp {
                    chosen,
                    target,
                    deadline,
                    next_poll,
                }
            }
            (
                Phase::CatchingUp {
                    chosen,
                    target,
                    deadline,
                    next_poll: None,
                },
                Input::Control {
                    node,
                    command: ControlCommand::Ping,
                    result,
                },
            ) if node == chosen => match result {
                Err(reason) => self.abort(reason, actions),
                Ok(at) if at.covers(None, &target) => self.install(chosen, rules, now, actions),
                Ok(at) if now >= deadline => self.abort(
                    format!(
                        "{chosen} did not catch up to offset {} of the primary's history \
                         within the failover timeout (it is at {} of {})",
                        target.offset, at.offset, at.repl_id
                    ),
                    actions,
                ),
                Ok(_) => Phase::CatchingUp {
                    chosen,
                    target,
                    deadline,
                    next_poll: Some(now + CATCH_UP_POLL_MS),
                },
            },
            (Phase::Installing { chosen, new }, Input::Installed(written)) => match written {
                Some(true) => self.promote(chosen, new, actions),
                Some(false) => self.abort(
                    "another sentinel changed the topology record first".into(),
                    actions,
                ),
                None => {
                    actions.push(Action::ReadRecord);
                    Phase::Confirming {
                        chosen,
                        new,
                        deadline: now + CONFIRM_BUDGET_MS,
                        next_read: None,
                    }
                }
            },
            (
                Phase::Confirming {
                    chosen,
                    new,
                    deadline,
                    next_read: None,
                },
                Input::ReadBack(stored),
            ) => match stored {
                Some(stored) if stored == new => self.promote(chosen, new, actions),
                Some(_) => self.abort(
                    "another sentinel changed the topology record first".into(),
                    actions,
                ),
                None if now >= deadline => self.give_up(
                    "the record's compare-and-set went unanswered and it could not be read \
                     back"
                        .into(),
                    actions,
                ),
                None => Phase::Confirming {
                    chosen,
                    new,
                    deadline,
                    next_read: Some(now + CONFIRM_RETRY_MS),
                },
            },
            (
                Phase::Confirming {
                    chosen,
                    new,
                    deadline,
                    next_read: Some(at),
                },
                Input::Wake,
            ) if now >= at => {
                actions.push(Action::ReadRecord);
                Phase::Confirming {
                    chosen,
                    new,
                    deadline,
                    next_read: None,
                }
            }
            (
                Phase::Promoting { chosen, new },
                Input::Control {
                    node,
                    command: ControlCommand::Promote,
                    result,
                },
            ) if node == chosen => {
                let position = match result {
                    Ok(position) => position,
                    // The record names it already (and the promotion may have happened,
                    // its answer lost): past the point where undoing is safe.
                    Err(reason) => {
                        let reason = format!(
                            "the record names {chosen}, which did not confirm its promotion \
                             ({reason}); the reconciler promotes it"
                        );
                        return self.give_up(reason, actions);
                    }
                };
                actions.push(self.event(
                    EventName::ReplicaPromoted,
                    Some(&chosen),
                    json!({ "previous_primary": self.old, "offset": position.offset.0 }),
                ));
                let waiting: BTreeSet<NodeId> =
                    new.replicas.iter().map(|m| m.node.clone()).collect();
                for member in &waiting {
                    let primary = chosen.clone();
                    actions.push(self.control(member, ControlCommand::ReplicateOf { primary }));
                }
                self.repointed(chosen, waiting, actions)
            }
            (
                Phase::Repointing {
                    chosen,
                    mut waiting,
                },
                Input::Control {
                    node,
                    command: ControlCommand::ReplicateOf { primary },
                    result,
                },
            ) if primary == chosen && waiting.contains(&node) => {
                waiting.remove(&node);
                // A member that is down now (the old primary) is re-pointed when it is back.
                if result.is_ok() {
                    actions.push(self.event(
                        EventName::ReplicaRepointed,
                        Some(&node),
                        json!({ "primary": chosen }),
                    ));
                }
                self.repointed(chosen, waiting, actions)
            }
            // Late answers to an earlier phase, and wake-ups with nothing due.
            (phase, _) => phase,
        }
    }

    fn tally(
        &mut self,
        campaign: Campaign,
        waiting: usize,
        view: &mut State,
        rules: &Rules,
        now: Millis,
        actions: &mut Vec<Action>,
    ) -> Phase {
        if campaign.won() {
            return self.elected(view, rules, now, actions);
        }
        if waiting > 0 {
            return Phase::Electing { campaign, waiting };
        }
        view.retry_soon(now, self.retry_pause(rules));
        Phase::Finished(Outcome::Split)
    }

    /// A few heartbeats, spread so that the candidates do not split again.
    fn retry_pause(&self, rules: &Rules) -> Millis {
        backoff(rules.heartbeat_ms, 4 * rules.heartbeat_ms, self.random)
    }

    fn elected(
        &mut self,
        view: &mut State,
        rules: &Rules,
        now: Millis,
        actions: &mut Vec<Action>,
    ) -> Phase {
        let details = json!({ "sentinel": rules.id, "sentinels": rules.sentinels.len() });
        actions.push(self.event(EventName::LeaderElected, None, details));
        let old = self.old.clone();
        match self.kind.clone() {
            Kind::Automatic => {
                let details = json!({ "votes_needed": rules.sentinels.len() / 2 + 1 });
                actions.push(self.event(EventName::PrimaryDown, Some(&old), details));
            }
            Kind::Planned {
                target,
                primary_down,
            } => {
                let details = json!({ "target": target, "primary_up": !primary_down });
                actions.push(self.event(EventName::TestFailoverStarted, Some(&old), details));
                if !primary_down {
                    let for_ms = rules.failover_timeout_ms;
                    actions.push(self.control(&old, ControlCommand::PauseWrites { for_ms }));
                    return Phase::HoldingWrites;
                }
            }
        }
        match self.led_by_old(view) {
            Ok(record) => self.record = Some(record),
            Err(reason) => return self.abort(reason, actions),
        }
        // With the old primary gone, its replicas' last heartbeats are up to a heartbeat
        // stale: the replica holding a write acknowledged just before the end may not look
        // like the most advanced. Frozen, each reports its final position and acknowledges
        // no more. Those that do not answer cannot be promoted now anyway.
        let waiting: BTreeSet<NodeId> = self
            .record
            .iter()
            .flat_map(|(record, _)| record.members())
            .map(|m| m.node.clone())
            .filter(|node| *node != old)
            .collect();
        if waiting.is_empty() {
            self.choice = Some(Choice::Frozen {
                positions: BTreeMap::new(),
                at: now,
            });
            return self.choose(view, rules, now, actions);
        }
        for node in &waiting {
            actions.push(self.control(node, ControlCommand::Freeze));
        }
        self.asked_to_freeze = waiting.clone();
        Phase::Freezing {
            asked: waiting.clone(),
            waiting,
            positions: BTreeMap::new(),
            at: now,
        }
    }

    /// The record as this sentinel knows it, while it still names the old primary in an
    /// epoch older than this one: if another leader replaced it meanwhile, failing over
    /// again would demote a healthy new primary.
    fn led_by_old(&self, view: &State) -> Result<(Topology, Revision), String> {
        let (current, revision) = view.topology.clone().ok_or("no topology record")?;
        if current.primary != self.old {
            return Err(format!(
                "the record's primary is already {} (epoch {})",
                current.primary, current.epoch.0
            ));
        }
        if current.epoch >= self.epoch {
            return Err(format!(
                "the record moved to epoch {} meanwhile",
                current.epoch.0
            ));
        }
        Ok((current, revision))
    }

    fn choose(
        &mut self,
        view: &mut State,
        rules: &Rules,
        now: Millis,
        actions: &mut Vec<Action>,
    ) -> Phase {
        if self.record.is_none() {
            match self.led_by_old(view) {
                Ok(record) => self.record = Some(record),
                Err(reason) => return self.abort(reason, actions),
            }
        }
        let target = match &self.kind {
            Kind::Planned { target, .. } => target.clone(),
            Kind::Automatic => None,
        };
        let positions = match &self.choice {
            Some(Choice::Frozen { positions, .. }) => Some(positions),
            _ => None,
        };
        let chosen = match view.choose_replica(&self.old, target.as_ref(), positions, rules, now) {
            Ok(chosen) => chosen,
            Err(reason) => return self.abort(reason, actions),
        };
        actions.push(self.event(
            EventName::FailoverStarted,
            Some(&self.old.clone()),
            json!({ "candidate": chosen }),
        ));
        match self.choice.clone() {
            Some(Choice::CaughtUp(target)) => {
                actions.push(self.control(&chosen, ControlCommand::Ping));
                Phase::CatchingUp {
                    chosen,
                    target,
                    deadline: now + rules.failover_timeout_ms,
                    next_poll: None,
                }
            }
            Some(Choice::Frozen { at, .. }) if now.saturating_sub(at) > FREEZE_BUDGET_MS => self
                .abort(
                    format!(
                        "the replicas were frozen more than {FREEZE_BUDGET_MS} ms ago; their \
                         promise may lapse before the promotion"
                    ),
                    actions,
                ),
            _ => self.install(chosen, rules, now, actions),
        }
    }

    fn install(
        &mut self,
        chosen: NodeId,
        rules: &Rules,
        now: Millis,
        actions: &mut Vec<Action>,
    ) -> Phase {
        let Some((current, revision)) = self.record.clone() else {
            return self.abort("no topology record".into(), actions);
        };
        let Some(mut new) = current.failed_over(&chosen, self.epoch) else {
            return self.abort(format!("{chosen} is not a member of the record"), actions);
        };
        new.written_by = rules.id.clone();
        new.written_at_ms = now;
        actions.push(Action::Install {
            record: new.clone(),
            expected: revision,
        });
        Phase::Installing { chosen, new }
    }

    fn repointed(
        &mut self,
        chosen: NodeId,
        waiting: BTreeSet<NodeId>,
        actions: &mut Vec<Action>,
    ) -> Phase {
        if !waiting.is_empty() {
            return Phase::Repointing { chosen, waiting };
        }
        let details = json!({ "previous_primary": self.old, "primary": chosen });
        actions.push(self.event(EventName::FailoverComplete, Some(&chosen), details));
        Phase::Finished(Outcome::Done(Ok(chosen)))
    }

    fn promote(&mut self, chosen: NodeId, new: Topology, actions: &mut Vec<Action>) -> Phase {
        actions.push(self.control(&chosen, ControlCommand::Promote));
        Phase::Promoting { chosen, new }
    }

    /// Stops once the new record is or may be written. Nothing held is undone: thawed
    /// replicas would follow the old primary again (and acknowledge its writes) and a
    /// resumed old primary would take writes, which the new primary never gets. The freeze
    /// and the pause lapse by themselves, and the reconciler promotes whatever the record
    /// names.
    fn give_up(&mut self, reason: String, actions: &mut Vec<Action>) -> Phase {
        self.choice = None;
        self.asked_to_freeze.clear();
        self.paused = false;
        self.abort(reason, actions)
    }

    /// Undoes what the failover held (frozen replicas, paused writes), then reports.
    fn abort(&mut self, reason: String, actions: &mut Vec<Action>) -> Phase {
        for node in std::mem::take(&mut self.asked_to_freeze) {
            actions.push(self.control(&node, ControlCommand::Thaw));
        }
        if self.paused {
            // The old primary keeps its role: let it take writes again at once.
            let old = self.old.clone();
            actions.push(self.control(&old, ControlCommand::ResumeWrites));
        }
        let old = self.old.clone();
        actions.push(self.event(
            EventName::FailoverAborted,
            Some(&old),
            json!({ "reason": reason }),
        ));
        Phase::Finished(Outcome::Done(Err(reason)))
    }

    fn control(&self, node: &NodeId, command: ControlCommand) -> Action {
        Action::Control {
            node: node.clone(),
            epoch: self.epoch,
            command,
        }
    }

    fn event(&self, name: EventName, node: Option<&NodeId>, details: Value) -> Action {
        Action::Event(PublicEvent {
            name,
            node: node.cloned(),
            epoch: self.epoch,
            details,
        })
    }
}

/// splitmix64: the next number from a seed, so that one draw gives every back-off.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
#[path = "procedure_tests.rs"]
mod tests;
