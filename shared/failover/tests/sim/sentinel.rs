//! A sentinel on the simulated bus: the real view and failover procedure, with a driver
//! that turns actions into messages and deadlines, as rg-sentinel's does into NATS
//! requests and timeouts.

use std::collections::BTreeMap;

use rg_failover::procedure::{Action, Failover, Input};
use rg_failover::view::State;
use rg_failover::{Millis, Rules};
use rg_proto::{Epoch, NodeId};

use super::msg::{Endpoint, Msg};

/// A control request's timeout in rg-sentinel.
pub const CONTROL_TIMEOUT: Millis = 500;
pub const VOTE_TIMEOUT: Millis = 1_000;
/// The record's compare-and-set, when its answer is lost.
pub const INSTALL_TIMEOUT: Millis = 500;

pub struct Sentinel {
    pub rules: Rules,
    pub view: State,
    pub failover: Option<Failover>,
    /// Requests of the failover in flight: what to feed back if no answer comes.
    pending: BTreeMap<u64, Input>,
    /// The vote on disk: what survives a crash.
    pub persisted: Option<(Epoch, NodeId)>,
    pub up: bool,
}

/// What the world must do for a sentinel.
pub enum Out {
    Send(Endpoint, Msg),
    /// Call back with [`super::net::Timer::Deadline`] at this time.
    Deadline(Millis, u64),
    Wake(Millis),
    /// A vote was written to disk (the invariant checker reads these).
    Voted(Epoch, NodeId),
}

impl Sentinel {
    pub fn new(rules: Rules) -> Sentinel {
        Sentinel {
            view: fresh_view(None),
            rules,
            failover: None,
            pending: BTreeMap::new(),
            persisted: None,
            up: true,
        }
    }

    /// A crash: what was in memory is gone; the vote on disk is read back on restart.
    pub fn crash(&mut self) {
        self.up = false;
        self.failover = None;
        self.pending.clear();
    }

    pub fn restart(&mut self) {
        self.up = true;
        self.view = fresh_view(self.persisted.clone());
    }

    /// Starts an automatic failover when one is due.
    pub fn check(&mut self, now: Millis, random: u64, ids: &mut u64, out: &mut Vec<Out>) {
        if let Some(failover) = Failover::automatic(&mut self.view, &self.rules, now, random) {
            self.failover = Some(failover);
            self.feed(Input::Wake, now, ids, out);
        }
    }

    /// A planned failover, to `target` or the best replica, unless one cannot start now.
    pub fn plan(
        &mut self,
        target: Option<NodeId>,
        now: Millis,
        random: u64,
        ids: &mut u64,
        out: &mut Vec<Out>,
    ) {
        if let Ok(failover) = Failover::planned(&mut self.view, &self.rules, target, now, random) {
            self.failover = Some(failover);
            self.feed(Input::Wake, now, ids, out);
        }
    }

    /// A request's answer; `None` from a deadline.
    pub fn answer(
        &mut self,
        req: u64,
        input: Option<Input>,
        now: Millis,
        ids: &mut u64,
        out: &mut Vec<Out>,
    ) {
        let Some(timeout) = self.pending.remove(&req) else {
            return; // answered already, or of a failover that is over
        };
        self.feed(input.unwrap_or(timeout), now, ids, out);
    }

    pub fn feed(&mut self, input: Input, now: Millis, ids: &mut u64, out: &mut Vec<Out>) {
        let mut inputs = vec![input];
        while let Some(input) = inputs.pop() {
            let Some(failover) = self.failover.as_mut() else {
                return;
            };
            let actions = failover.step(&mut self.view, &self.rules, now, input);
            for action in actions {
                self.carry_out(action, now, ids, out, &mut inputs);
            }
            let failover = self.failover.as_ref().expect("still running");
            if failover.outcome().is_some() {
                self.failover = None;
                self.pending.clear();
                return;
            }
            if let Some(at) = failover.next_wake() {
                out.push(Out::Wake(at));
            }
        }
    }

    fn carry_out(
        &mut self,
        action: Action,
        now: Millis,
        ids: &mut u64,
        out: &mut Vec<Out>,
        inputs: &mut Vec<Input>,
    ) {
        let mut request = |pending: &mut BTreeMap<u64, Input>,
                           out: &mut Vec<Out>,
                           timeout: Input,
                           after: Millis| {
            *ids += 1;
            pending.insert(*ids, timeout);
            out.push(Out::Deadline(now + after, *ids));
            *ids
        };
        match action {
            Action::Event(_) => {}
            Action::PersistVote { epoch, candidate } => {
                self.persisted = Some((epoch, candidate.clone()));
                out.push(Out::Voted(epoch, candidate));
                inputs.push(Input::Persisted(Ok(())));
            }
            Action::AskVotes { epoch } => {
                let me = self.rules.id.clone();
                for (index, voter) in self.rules.sentinels.clone().iter().enumerate() {
                    if *voter == me {
                        continue;
                    }
                    let timeout = Input::Vote {
                        voter: voter.clone(),
                        epoch,
                        granted: None,
                    };
                    let req = request(&mut self.pending, out, timeout, VOTE_TIMEOUT);
                    out.push(Out::Send(
                        Endpoint::Sentinel(index),
                        Msg::VoteRequest { req, epoch },
                    ));
                }
            }
            Action::Control {
                node,
                epoch,
                command,
            } => {
                let timeout = Input::Control {
                    node: node.clone(),
                    command: command.clone(),
                    result: Err(format!("{node} did not answer")),
                };
                let req = request(&mut self.pending, out, timeout, CONTROL_TIMEOUT);
                let to = Endpoint::Node(node_index(&node));
                out.push(Out::Send(
                    to,
                    Msg::Control {
                        req,
                        epoch,
                        command,
                    },
                ));
            }
            Action::ReadRecord => {
                let timeout = Input::ReadBack(None);
                let req = request(&mut self.pending, out, timeout, INSTALL_TIMEOUT);
                out.push(Out::Send(Endpoint::Kv, Msg::KvGet { req }));
            }
            Action::Install { record, expected } => {
                let req = request(
                    &mut self.pending,
                    out,
                    Input::Installed(None),
                    INSTALL_TIMEOUT,
                );
                out.push(Out::Send(
                    Endpoint::Kv,
                    Msg::KvUpdate {
                        req,
                        record,
                        expected,
                    },
                ));
            }
        }
    }

    /// A vote request from sentinel `candidate`: granted votes go to disk first.
    pub fn vote(&mut self, candidate: &NodeId, epoch: Epoch, out: &mut Vec<Out>) -> bool {
        let granted = self.view.grant_vote(candidate, epoch);
        if granted {
            self.persisted = Some((epoch, candidate.clone()));
            out.push(Out::Voted(epoch, candidate.clone()));
        }
        granted
    }
}

fn fresh_view(last_vote: Option<(Epoch, NodeId)>) -> State {
    let mut view = State::new(last_vote);
    view.store_ready = true;
    view
}

pub fn node_name(index: usize) -> NodeId {
    NodeId::new(format!("n{}", index + 1)).expect("a valid id")
}

pub fn sentinel_name(index: usize) -> NodeId {
    NodeId::new(format!("s{}", index + 1)).expect("a valid id")
}

pub fn node_index(name: &NodeId) -> usize {
    name.as_str()[1..].parse::<usize>().expect("named n<k>") - 1
}
