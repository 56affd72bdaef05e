//! One seeded schedule: three sentinels, three nodes, the record's bucket, the router and a
//! writer on the simulated bus, faults injected at random moments, and the invariants checked after
//! every event. The same seed replays the same schedule exactly.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rg_failover::procedure::Input;
use rg_failover::reconcile::{self, Chore};
use rg_failover::{Millis, Rules};
use rg_proto::topology::{Member, Topology};
use rg_proto::{Epoch, GroupId, NodeId};

use super::msg::{Endpoint, Msg};
use super::net::{Event, Fault, Net, Timer, Weather};
use super::node::{Effect, Node};
use super::router::Router;
use super::sentinel::{node_index, node_name, sentinel_name, Out, Sentinel};

pub const SENTINELS: usize = 3;
pub const NODES: usize = 3;
const HEARTBEAT: Millis = 100;
const WRITE_EVERY: Millis = 20;
/// Faults start within this time and last at most `LONGEST_FAULT`; the schedule then runs
/// on healed until `END`, by when the group must have converged.
const FAULTS_UNTIL: Millis = 8_000;
const LONGEST_FAULT: Millis = 4_000;
const END: Millis = 22_000;
/// By `END`, every replica holds at least what its primary held this long before.
const SETTLE: Millis = 2_000;
/// Time a node gets after its fault to be a full member again (re-pointed, caught up).
const NODE_RECOVERY: Millis = 2_000;
/// How long a replaced primary may go on taking writes: its fence timeout, plus the time
/// the last sentinel heartbeat it saw took to arrive.
const FENCE_BOUND: Millis = super::node::FENCE_TIMEOUT + 500;
/// The timeouts of the writer's WAIT 1 through the router: shorter and longer than a
/// failover.
const WAIT_TIMEOUTS: [Millis; 3] = [100, 1_000, 3_000];

/// What a schedule did, for the summary.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub events: u64,
    pub faults: BTreeMap<&'static str, u64>,
    pub failovers: u64,
    pub acknowledged: u64,
}

pub struct World {
    rng: SmallRng,
    net: Net,
    now: Millis,
    sentinels: Vec<Sentinel>,
    nodes: Vec<Node>,
    router: Router,
    /// Every node: the members whose acks the router counts.
    members: Vec<NodeId>,
    record: (Topology, u64),
    ids: u64,
    next_write: u64,
    /// Every vote ever written: (sentinel, epoch) -> candidate.
    votes: BTreeMap<(usize, Epoch), NodeId>,
    /// The primary each epoch's record installed, and when.
    installed: BTreeMap<Epoch, (NodeId, Millis)>,
    /// When a sentinel first knew each epoch's record (read it, or heard its write
    /// succeed): nodes learn of a newer primary from the sentinels only.
    known: BTreeMap<Epoch, (NodeId, Millis)>,
    /// Writes WAIT 1 acknowledged, with the primary epoch that acknowledged them.
    acknowledged: Vec<(u64, Epoch)>,
    /// The node that took writes as primary of each epoch.
    writers: BTreeMap<Epoch, usize>,
    /// Every promotion: its epoch, the node, and the writes it held then.
    promotions: Vec<(Epoch, usize, BTreeSet<u64>)>,
    /// The command of each sentinel's control request in flight, for its answer.
    commands: BTreeMap<u64, rg_proto::messages::ControlCommand>,
    pub report: Report,
    /// When each node fault planned starts, and when its node has caught up again.
    node_faults: Vec<(Millis, Millis)>,
    /// Per node: the data generation, primary epoch and acknowledged writes checked already
    /// against its dataset (see `holds_what_was_acknowledged`).
    verified: Vec<(u64, Epoch, usize)>,
    /// A sentinel that crashes as soon as it has voted, and restarts this much later.
    crash_after_vote: [Option<Millis>; SENTINELS],
    /// Delivering what a paused process finds waiting when it resumes.
    resuming: bool,
    /// SIM_TRACE=1: print what a replayed schedule does.
    trace: bool,
}

impl World {
    pub fn new(seed: u64) -> World {
        let mut rng = SmallRng::seed_from_u64(seed);
        let weather = Weather {
            drop_per_mille: [0, 0, 5, 20][rng.gen_range(0..4)],
            duplicate_per_mille: [0, 0, 5][rng.gen_range(0..3)],
            max_delay: [2, 10, 40][rng.gen_range(0..3)],
        };
        let names: Vec<NodeId> = (0..SENTINELS).map(sentinel_name).collect();
        let sentinels = (0..SENTINELS)
            .map(|i| {
                Sentinel::new(Rules {
                    id: names[i].clone(),
                    group: GroupId::new("g").expect("a valid id"),
                    sentinels: names.clone(),
                    quorum: 2,
                    down_after_ms: 1_000,
                    failover_timeout_ms: 5_000,
                    heartbeat_ms: HEARTBEAT,
                })
            })
            .collect();
        let primary = node_name(0);
        let nodes = (0..NODES)
            .map(|i| {
                let follows = (i > 0).then(|| primary.clone());
                Node::new(node_name(i), follows, SENTINELS, 0)
            })
            .collect();
        let member = |i: usize| Member {
            node: node_name(i),
            az: String::new(),
            address: format!("{}:6379", node_name(i)),
        };
        let record = Topology {
            group: GroupId::new("g").expect("a valid id"),
            epoch: Epoch(1),
            primary: primary.clone(),
            primary_member: member(0),
            replicas: (1..NODES).map(member).collect(),
            automatic_failover: true,
            written_by: names[0].clone(),
            written_at_ms: 0,
        };
        let mut world = World {
            net: Net::new(weather),
            rng,
            now: 0,
            sentinels,
            nodes,
            router: Router::default(),
            members: (0..NODES).map(node_name).collect(),
            record: (record, 1),
            ids: 0,
            next_write: 0,
            votes: BTreeMap::new(),
            installed: BTreeMap::from([(Epoch(1), (primary.clone(), 0))]),
            known: BTreeMap::from([(Epoch(1), (primary, 0))]),
            acknowledged: Vec::new(),
            promotions: Vec::new(),
            writers: BTreeMap::new(),
            commands: BTreeMap::new(),
            report: Report::default(),
            node_faults: Vec::new(),
            verified: vec![(0, Epoch(0), 0); NODES],
            resuming: false,
            crash_after_vote: [None; SENTINELS],
            trace: std::env::var_os("SIM_TRACE").is_some(),
        };
        world.start();
        world
    }

    fn start(&mut self) {
        for i in 0..SENTINELS {
            let offset = self.rng.gen_range(0..HEARTBEAT);
            self.net
                .at(offset, Event::Timer(Endpoint::Sentinel(i), Timer::Tick));
        }
        for i in 0..NODES {
            let offset = self.rng.gen_range(0..HEARTBEAT);
            self.net
                .at(offset, Event::Timer(Endpoint::Node(i), Timer::Tick));
        }
        self.net.at(WRITE_EVERY, Event::Write);
        let faults = self.rng.gen_range(1..=3);
        for _ in 0..faults {
            self.plan_fault();
        }
    }

    /// One fault at a random moment. The promise covers the loss of one node at a time,
    /// so a node's fault never overlaps another's (nor the time the last one needs to
    /// catch up again); sentinels, the bucket and the weather fail whenever they like.
    fn plan_fault(&mut self) {
        let start = self.rng.gen_range(500..FAULTS_UNTIL);
        let length = self.rng.gen_range(200..LONGEST_FAULT);
        let mut who = match self.rng.gen_range(0..8) {
            0..=2 => Endpoint::Node(self.rng.gen_range(0..NODES)),
            3..=5 => Endpoint::Sentinel(self.rng.gen_range(0..SENTINELS)),
            6 if self.rng.gen() => Endpoint::Kv,
            6 => Endpoint::Router,
            _ => {
                let asked = self.rng.gen_range(0..SENTINELS);
                *self.report.faults.entry("planned failover").or_default() += 1;
                self.net
                    .at(start, Event::Fault(Fault::PlannedFailover(asked)));
                return;
            }
        };
        if matches!(who, Endpoint::Node(_)) {
            let (from, to) = (start, start + length + NODE_RECOVERY);
            let overlaps = self
                .node_faults
                .iter()
                .any(|(begin, end)| from < *end && *begin < to);
            if overlaps {
                who = Endpoint::Sentinel(self.rng.gen_range(0..SENTINELS));
            } else {
                self.node_faults.push((from, to));
            }
        }
        let (begin, end, name) = match (self.rng.gen_range(0..3), who) {
            (0, _) | (_, Endpoint::Kv) => (Fault::Cut(who), Fault::Heal(who), "bus cut"),
            (1, Endpoint::Node(_)) => (Fault::Pause(who), Fault::Resume(who), "pause"),
            (_, Endpoint::Router) => (Fault::Pause(who), Fault::Resume(who), "router pause"),
            (_, Endpoint::Node(_)) => (
                Fault::Crash(who),
                Fault::Restart(who),
                "node crash, back empty",
            ),
            (1, Endpoint::Sentinel(i)) => {
                // The moment a lost vote would matter: right after giving one.
                self.crash_after_vote[i] = Some(self.rng.gen_range(20..500));
                *self
                    .report
                    .faults
                    .entry("sentinel crash after a vote")
                    .or_default() += 1;
                return;
            }
            (_, _) => (Fault::Crash(who), Fault::Restart(who), "sentinel crash"),
        };
        *self.report.faults.entry(name).or_default() += 1;
        self.net.at(start, Event::Fault(begin));
        self.net.at(start + length, Event::Fault(end));
    }

    /// Runs the schedule; Err names the invariant broken, at what time.
    pub fn run(mut self) -> Result<Report, String> {
        let mut settled = None;
        while let Some((at, event)) = self.net.next() {
            if at > END {
                break;
            }
            if at >= END - SETTLE && settled.is_none() {
                let p = node_index(&self.record.0.primary);
                settled = Some((p, self.nodes[p].data.len()));
            }
            self.now = at;
            self.report.events += 1;
            self.handle(event)?;
        }
        self.now = END;
        self.converged(settled)?;
        self.report.acknowledged = self.acknowledged.len() as u64;
        Ok(self.report)
    }

    fn handle(&mut self, event: Event) -> Result<(), String> {
        match event {
            Event::Write => {
                self.next_write += 1;
                let node = self.rng.gen_range(0..NODES);
                let write = self.next_write;
                self.send(Endpoint::Client, Endpoint::Node(node), Msg::Write(write));
                self.net.at(self.now + WRITE_EVERY, Event::Write);
                Ok(())
            }
            Event::Fault(fault) => self.fault(fault),
            Event::Timer(who, timer) => {
                if self.net.paused.contains(&who) {
                    // A stopped process's timers fire when it resumes; ticks resume then.
                    if timer != Timer::Tick {
                        self.net.at(self.now + 1, Event::Timer(who, timer));
                    }
                    return Ok(());
                }
                self.timer(who, timer)
            }
            Event::Deliver { from, to, msg } => {
                if !self.net.arrives(from, to, &msg) {
                    return Ok(());
                }
                self.deliver(from, to, *msg)
            }
        }
    }

    fn fault(&mut self, fault: Fault) -> Result<(), String> {
        self.log(format_args!("{fault:?}"));
        match fault {
            Fault::Cut(who) => {
                self.net.cut.insert(who);
            }
            Fault::Heal(who) => {
                self.net.cut.remove(&who);
            }
            Fault::Pause(who) => {
                self.net.paused.insert(who);
            }
            Fault::Resume(who) => {
                self.net.paused.remove(&who);
                self.resuming = true;
                for (from, msg) in self.net.release(who) {
                    self.deliver(from, who, msg)?;
                }
                self.resuming = false;
                self.net.at(self.now, Event::Timer(who, Timer::Tick));
            }
            Fault::Crash(Endpoint::Sentinel(i)) => self.sentinels[i].crash(),
            Fault::Restart(Endpoint::Sentinel(i)) => self.sentinels[i].restart(),
            Fault::Crash(Endpoint::Node(i)) => self.nodes[i].crash(),
            Fault::Restart(Endpoint::Node(i)) => {
                let record = (self.record.0.epoch, self.record.0.primary.clone());
                self.nodes[i].restart(record, NODES > 1, self.now);
            }
            Fault::Crash(_) | Fault::Restart(_) => {}
            Fault::PlannedFailover(i) => {
                if !self.sentinels[i].up {
                    return Ok(());
                }
                let target = match self.rng.gen_range(0..=NODES) {
                    NODES => None,
                    n => Some(node_name(n)),
                };
                let mut out = Vec::new();
                let random = self.rng.gen();
                let sentinel = &mut self.sentinels[i];
                sentinel.plan(target, self.now, random, &mut self.ids, &mut out);
                if !out.is_empty() {
                    self.report.failovers += 1;
                }
                self.sentinel_out(i, out)?;
            }
        }
        Ok(())
    }

    fn timer(&mut self, who: Endpoint, timer: Timer) -> Result<(), String> {
        match (who, timer) {
            (Endpoint::Sentinel(i), Timer::Tick) => {
                self.net
                    .at(self.now + HEARTBEAT, Event::Timer(who, Timer::Tick));
                if self.sentinels[i].up {
                    self.sentinel_tick(i)?;
                }
            }
            (Endpoint::Sentinel(i), Timer::Deadline(req)) => {
                let mut out = Vec::new();
                let sentinel = &mut self.sentinels[i];
                sentinel.answer(req, None, self.now, &mut self.ids, &mut out);
                self.sentinel_out(i, out)?;
            }
            (Endpoint::Sentinel(i), Timer::Wake) => {
                let mut out = Vec::new();
                self.sentinels[i].feed(Input::Wake, self.now, &mut self.ids, &mut out);
                self.sentinel_out(i, out)?;
            }
            (Endpoint::Node(i), Timer::Tick) => {
                self.net
                    .at(self.now + HEARTBEAT, Event::Timer(who, Timer::Tick));
                if !self.nodes[i].up {
                    return Ok(());
                }
                let beat = self.nodes[i].heartbeat();
                for s in 0..SENTINELS {
                    self.send(who, Endpoint::Sentinel(s), Msg::NodeBeat(beat.clone()));
                }
                self.send(who, Endpoint::Router, Msg::NodeBeat(beat));
                let mut effects = Vec::new();
                self.nodes[i].tick(&mut effects);
                self.node_effects(i, None, effects)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn sentinel_tick(&mut self, i: usize) -> Result<(), String> {
        let me = Endpoint::Sentinel(i);
        let view = &self.sentinels[i].view;
        let record = view
            .topology
            .as_ref()
            .map(|(t, _)| (t.epoch, t.primary.clone()));
        let beat = Msg::SentinelBeat {
            epoch: view.highest_epoch(),
            record,
        };
        let opinion = view.opinion_of_primary(&self.sentinels[i].rules, self.now);
        for s in (0..SENTINELS).filter(|s| *s != i) {
            self.send(me, Endpoint::Sentinel(s), beat.clone());
        }
        for n in 0..NODES {
            self.send(me, Endpoint::Node(n), beat.clone());
        }
        if let Some((node, down)) = opinion {
            let msg = Msg::Opinion { node, down };
            for s in 0..SENTINELS {
                self.send(me, Endpoint::Sentinel(s), msg.clone());
            }
        }
        self.send(me, Endpoint::Kv, Msg::KvGet { req: 0 });
        let chores = {
            let sentinel = &mut self.sentinels[i];
            reconcile::round(&mut sentinel.view, &sentinel.rules, self.now)
        };
        for chore in chores {
            match chore {
                Chore::Control {
                    node,
                    epoch,
                    command,
                } => {
                    let msg = Msg::Control {
                        req: 0,
                        epoch,
                        command,
                    };
                    self.send(me, Endpoint::Node(node_index(&node)), msg);
                }
                Chore::Write {
                    record,
                    expected: Some(expected),
                    ..
                } => {
                    let msg = Msg::KvUpdate {
                        req: 0,
                        record,
                        expected,
                    };
                    self.send(me, Endpoint::Kv, msg);
                }
                // The record exists from the start, and nothing here is registered.
                Chore::Write { expected: None, .. }
                | Chore::MarkAvailable { .. }
                | Chore::Publish(_) => {}
            }
        }
        let mut out = Vec::new();
        let random = self.rng.gen();
        self.sentinels[i].check(self.now, random, &mut self.ids, &mut out);
        if self.sentinels[i].failover.is_some() && !out.is_empty() {
            self.report.failovers += 1;
        }
        self.sentinel_out(i, out)
    }

    fn sentinel_out(&mut self, i: usize, out: Vec<Out>) -> Result<(), String> {
        let me = Endpoint::Sentinel(i);
        let voted = out.iter().any(|item| matches!(item, Out::Voted(..)));
        self.carry_out(i, out)?;
        if let (true, Some(after)) = (voted, self.crash_after_vote[i]) {
            self.crash_after_vote[i] = None;
            self.log(format_args!("s{} crashes after voting", i + 1));
            self.sentinels[i].crash();
            self.net
                .at(self.now + after, Event::Fault(Fault::Restart(me)));
        }
        Ok(())
    }

    fn carry_out(&mut self, i: usize, out: Vec<Out>) -> Result<(), String> {
        let me = Endpoint::Sentinel(i);
        for item in out {
            match item {
                Out::Send(to, msg) => self.send(me, to, msg),
                Out::Deadline(at, req) => self.net.at(at, Event::Timer(me, Timer::Deadline(req))),
                Out::Wake(at) => self.net.at(at, Event::Timer(me, Timer::Wake)),
                Out::Voted(epoch, candidate) => {
                    if let Some(before) = self.votes.insert((i, epoch), candidate.clone()) {
                        if before != candidate {
                            return Err(format!(
                                "s{} voted twice in epoch {}: {before} and {candidate}",
                                i + 1,
                                epoch.0
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn deliver(&mut self, from: Endpoint, to: Endpoint, msg: Msg) -> Result<(), String> {
        match to {
            Endpoint::Sentinel(i) => self.at_sentinel(from, i, msg),
            Endpoint::Node(i) => self.at_node(from, i, msg),
            Endpoint::Kv => {
                self.at_kv(from, msg)?;
                Ok(())
            }
            Endpoint::Router => self.at_router(from, msg),
            Endpoint::Client => Ok(()),
        }
    }

    /// The router hears heartbeats and acks, and answers the WAITs they satisfy.
    fn at_router(&mut self, from: Endpoint, msg: Msg) -> Result<(), String> {
        match (from, msg) {
            (_, Msg::NodeBeat(beat)) => self.router.heard(&beat),
            (Endpoint::Node(n), Msg::Ack { position, .. }) => {
                self.router.acked(&node_name(n), position)
            }
            _ => return Ok(()),
        }
        for (write, epoch) in self.router.answered(self.members.iter(), self.now) {
            self.acknowledge(write, epoch, "the router")?;
        }
        Ok(())
    }

    fn at_sentinel(&mut self, from: Endpoint, i: usize, msg: Msg) -> Result<(), String> {
        if !self.sentinels[i].up {
            return Ok(());
        }
        let now = self.now;
        let mut out = Vec::new();
        let sentinel = &mut self.sentinels[i];
        match (from, msg) {
            (Endpoint::Node(_), Msg::NodeBeat(beat)) => {
                let node = beat.node.clone();
                sentinel.view.heartbeat(beat, now);
                sentinel.view.ping_ok(&node, now);
            }
            (Endpoint::Sentinel(s), Msg::SentinelBeat { epoch, .. }) => {
                sentinel.view.sentinel_seen(&sentinel_name(s), now);
                sentinel.view.saw_epoch(epoch);
            }
            (Endpoint::Sentinel(s), Msg::Opinion { node, down }) => {
                let opinion = rg_proto::messages::SentinelOpinion {
                    group: sentinel.rules.group.clone(),
                    sentinel: sentinel_name(s),
                    node,
                    down,
                };
                sentinel.view.opinion(opinion, now);
            }
            (Endpoint::Sentinel(s), Msg::VoteRequest { req, epoch }) => {
                let granted = sentinel.vote(&sentinel_name(s), epoch, &mut out);
                out.push(Out::Send(
                    from,
                    Msg::VoteReply {
                        req,
                        epoch,
                        granted,
                    },
                ));
            }
            (
                Endpoint::Sentinel(s),
                Msg::VoteReply {
                    req,
                    epoch,
                    granted,
                },
            ) => {
                let input = Input::Vote {
                    voter: sentinel_name(s),
                    epoch,
                    granted: Some(granted),
                };
                sentinel.answer(req, Some(input), now, &mut self.ids, &mut out);
            }
            (Endpoint::Node(n), Msg::ControlReply { req, result }) => {
                if let Some(command) = self.commands.remove(&req) {
                    let input = Input::Control {
                        node: node_name(n),
                        command,
                        result,
                    };
                    let sentinel = &mut self.sentinels[i];
                    sentinel.answer(req, Some(input), now, &mut self.ids, &mut out);
                }
            }
            (Endpoint::Kv, Msg::KvRecord { req, record }) => {
                let (record, revision) = record;
                let first = (record.primary.clone(), now);
                self.known.entry(record.epoch).or_insert(first);
                sentinel
                    .view
                    .topology_changed(record.clone(), revision, now);
                if req != 0 {
                    let input = Input::ReadBack(Some(record));
                    sentinel.answer(req, Some(input), now, &mut self.ids, &mut out);
                }
            }
            (Endpoint::Kv, Msg::KvReply { req, written }) => {
                if written {
                    let (record, revision) = self.record.clone();
                    let first = (record.primary.clone(), now);
                    self.known.entry(record.epoch).or_insert(first);
                    sentinel.view.topology_changed(record, revision, now);
                }
                sentinel.answer(
                    req,
                    Some(Input::Installed(Some(written))),
                    now,
                    &mut self.ids,
                    &mut out,
                );
            }
            _ => {}
        }
        self.sentinel_out(i, out)
    }

    fn at_kv(&mut self, from: Endpoint, msg: Msg) -> Result<(), String> {
        match msg {
            Msg::KvGet { req } => {
                let record = Msg::KvRecord {
                    req,
                    record: self.record.clone(),
                };
                self.send(Endpoint::Kv, from, record);
            }
            Msg::KvUpdate {
                req,
                record,
                expected,
            } => {
                let written = expected == self.record.1;
                if written {
                    let first = (record.primary.clone(), self.now);
                    let (before, _) = self.installed.entry(record.epoch).or_insert(first);
                    {
                        if *before != record.primary {
                            return Err(format!(
                                "two primaries installed in epoch {}: {before} and {}",
                                record.epoch.0, record.primary
                            ));
                        }
                    }
                    self.record = (record, expected + 1);
                }
                self.send(Endpoint::Kv, from, Msg::KvReply { req, written });
            }
            _ => {}
        }
        Ok(())
    }

    fn at_node(&mut self, from: Endpoint, i: usize, msg: Msg) -> Result<(), String> {
        if !self.nodes[i].up {
            return Ok(());
        }
        let now = self.now;
        let mut effects = Vec::new();
        let node = &mut self.nodes[i];
        let mut reply_to = None;
        match (from, msg) {
            (Endpoint::Client, Msg::Write(write)) => {
                // Every other write's WAIT 1 goes through the router, which probes this
                // node for the write's position.
                let through_router = write % 2 == 0;
                let epoch = node.led_since;
                if let Some(target) = node.write(write, !through_router, now, &mut effects) {
                    if through_router {
                        let timeout = WAIT_TIMEOUTS[(write / 2) as usize % WAIT_TIMEOUTS.len()];
                        self.router.wait(write, target, epoch, now + timeout);
                    }
                    self.one_writer_per_epoch(i, write)?;
                    self.holds_what_was_acknowledged(i, write)?;
                    if !self.resuming {
                        self.fenced_in_time(i, write)?;
                    }
                }
            }
            (Endpoint::Sentinel(s), Msg::SentinelBeat { record, .. }) => {
                node.sentinel_beat(s, record, now)
            }
            (
                Endpoint::Sentinel(s),
                Msg::Control {
                    req,
                    epoch,
                    command,
                },
            ) => {
                if self.trace {
                    println!(
                        "{:>6} s{} -> n{}: {command:?} in epoch {} (holding {} writes)",
                        now,
                        s + 1,
                        i + 1,
                        epoch.0,
                        node.data.len()
                    );
                }
                let result = node.control(epoch, command, now, &mut effects);
                if req != 0 {
                    let reply = Msg::ControlReply { req, result };
                    self.send(Endpoint::Node(i), from, reply);
                }
            }
            (Endpoint::Node(n), msg @ (Msg::Stream { .. } | Msg::SyncReply { .. })) => {
                node.replicate(&node_name(n), msg, now, &mut effects)
            }
            (Endpoint::Node(n), msg @ (Msg::SyncRequest | Msg::Ack { .. })) => {
                reply_to = Some(n);
                node.serve(n, msg, &mut effects)
            }
            _ => {}
        }
        self.node_effects(i, reply_to, effects)
    }

    /// At most one node takes writes as primary of any one epoch.
    fn one_writer_per_epoch(&mut self, i: usize, write: u64) -> Result<(), String> {
        let epoch = self.nodes[i].led_since;
        let first = *self.writers.entry(epoch).or_insert(i);
        if first != i {
            return Err(format!(
                "n{} took write {write} as primary of epoch {}, in which n{} took writes",
                i + 1,
                epoch.0,
                first + 1
            ));
        }
        Ok(())
    }

    /// A primary takes a write only holding every write acknowledged in its epoch or
    /// before (a primary back empty must not take writes as if it led the same group).
    fn holds_what_was_acknowledged(&mut self, i: usize, write: u64) -> Result<(), String> {
        let node = &self.nodes[i];
        let (generation, epoch, checked) = &mut self.verified[i];
        if (*generation, *epoch) != (node.generation, node.led_since) {
            (*generation, *epoch, *checked) = (node.generation, node.led_since, 0);
        }
        let missing = self.acknowledged[*checked..]
            .iter()
            .find(|(w, e)| *e <= node.led_since && !node.held.contains(w));
        if let Some((missing, acked_in)) = missing {
            return Err(format!(
                "n{} took write {write} as primary of epoch {} without write {missing}, \
                 acknowledged in epoch {}",
                i + 1,
                node.led_since.0,
                acked_in.0
            ));
        }
        *checked = self.acknowledged.len();
        Ok(())
    }

    /// After the last fault healed, the group has one primary taking writes (the record's)
    /// and every other node replicates it, holding a prefix of its history at least as
    /// long as the primary's was `SETTLE` before (`settled`: that primary and length).
    /// "Synced" is not asked for: a replica that lost the stream's last message learns of
    /// the gap from the next one.
    fn converged(&self, settled: Option<(usize, usize)>) -> Result<(), String> {
        let (record, _) = &self.record;
        let p = node_index(&record.primary);
        let behind = match settled {
            Some((q, length)) if q == p => length,
            _ => {
                return Err(format!(
                    "not converged: the record still changed in the last {SETTLE} ms"
                ))
            }
        };
        let primary = &self.nodes[p];
        if !primary.takes_writes(self.now) {
            return Err(format!(
                "not converged: the record's primary n{} (epoch {}) takes no writes \
                 (role {:?}, restarted {}) {} ms after the last fault",
                p + 1,
                record.epoch.0,
                primary.role,
                primary.restarted,
                self.now - FAULTS_UNTIL - LONGEST_FAULT
            ));
        }
        for (i, node) in self.nodes.iter().enumerate().filter(|(i, _)| *i != p) {
            let follows = node.role == rg_proto::messages::Role::Replica
                && node.primary.as_ref() == Some(&record.primary);
            let prefix = primary.data.starts_with(&node.data) && node.data.len() >= behind;
            if !follows || !prefix {
                return Err(format!(
                    "not converged: n{} (role {:?}, follows {:?}, synced {}, {} writes) is not \
                     a replica of the record's primary n{} ({} writes) holding a prefix of it",
                    i + 1,
                    node.role,
                    node.primary,
                    node.synced,
                    node.data.len(),
                    p + 1,
                    primary.data.len()
                ));
            }
        }
        Ok(())
    }

    /// A primary replaced by a newer epoch's record stops taking writes within the fence
    /// bound of a sentinel knowing that record (writes it finds waiting when it resumes
    /// from a pause are answered at once, as Redis answers them, and are not counted). A
    /// record nobody could read yet (the bucket cut right after the write) names a primary
    /// nobody promoted, and the replicas stay frozen for its failover meanwhile.
    fn fenced_in_time(&self, i: usize, write: u64) -> Result<(), String> {
        let epoch = self.nodes[i].led_since;
        let newer = self.known.range(Epoch(epoch.0 + 1)..).next();
        if let Some((newer, (primary, at))) = newer {
            if self.now > at + FENCE_BOUND {
                return Err(format!(
                    "n{} took write {write} as primary of epoch {} {} ms after epoch {}'s \
                     record named {primary}",
                    i + 1,
                    epoch.0,
                    self.now - at,
                    newer.0
                ));
            }
        }
        Ok(())
    }

    fn node_effects(
        &mut self,
        i: usize,
        reply_to: Option<usize>,
        effects: Vec<Effect>,
    ) -> Result<(), String> {
        let me = Endpoint::Node(i);
        for effect in effects {
            match effect {
                Effect::ToNodes(msg) => {
                    for n in (0..NODES).filter(|n| *n != i) {
                        self.send(me, Endpoint::Node(n), msg.clone());
                    }
                }
                Effect::ToNode(node, msg) => {
                    if matches!(msg, Msg::Ack { .. }) {
                        self.send(me, Endpoint::Router, msg.clone());
                    }
                    self.send(me, Endpoint::Node(node_index(&node)), msg)
                }
                Effect::Reply(msg) => {
                    if let Some(n) = reply_to {
                        self.send(me, Endpoint::Node(n), msg);
                    }
                }
                Effect::Acknowledged { write, epoch } => {
                    self.acknowledge(write, epoch, &format!("n{}", i + 1))?
                }
                Effect::Promoted(epoch) => {
                    let data: BTreeSet<u64> = self.nodes[i].data.iter().copied().collect();
                    let lost: Vec<u64> = self
                        .acknowledged
                        .iter()
                        .filter(|(w, e)| *e < epoch && !data.contains(w))
                        .map(|(w, _)| *w)
                        .collect();
                    if !lost.is_empty() {
                        return Err(format!(
                            "n{} promoted in epoch {} without {} acknowledged writes (first {})",
                            i + 1,
                            epoch.0,
                            lost.len(),
                            lost[0]
                        ));
                    }
                    self.log(format_args!("n{} promoted in epoch {}", i + 1, epoch.0));
                    self.promotions.push((epoch, i, data));
                }
            }
        }
        Ok(())
    }

    /// WAIT 1 returned 1 for `write`, taken by a primary of `epoch`. Late (a primary paused
    /// with the acks in its buffers, a router that heard them late), the primaries promoted
    /// since must hold it already.
    fn acknowledge(&mut self, write: u64, epoch: Epoch, by: &str) -> Result<(), String> {
        let missed = self
            .promotions
            .iter()
            .find(|(newer, _, held)| *newer > epoch && !held.contains(&write));
        if let Some((newer, node, _)) = missed {
            return Err(format!(
                "write {write} acknowledged by {by} for a primary of epoch {}, but n{} was \
                 promoted in epoch {} without it",
                epoch.0,
                node + 1,
                newer.0
            ));
        }
        self.log(format_args!("{by} acknowledged write {write}"));
        self.acknowledged.push((write, epoch));
        Ok(())
    }

    fn log(&self, what: std::fmt::Arguments) {
        if self.trace {
            println!("{:>6} {what}", self.now);
        }
    }

    fn send(&mut self, from: Endpoint, to: Endpoint, msg: Msg) {
        if let (Endpoint::Sentinel(_), Msg::Control { req, command, .. }) = (from, &msg) {
            if *req != 0 {
                self.commands.insert(*req, command.clone());
            }
        }
        self.net.send(&mut self.rng, self.now, from, to, msg);
    }
}
