//! The simulated bus: every message is delivered after a random delay (so messages
//! reorder), or dropped, or delivered twice, as the schedule's faults say; a process cut
//! off the bus neither sends nor receives; a paused process receives nothing until it
//! resumes, then everything at once.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rand::rngs::SmallRng;
use rand::Rng;
use rg_failover::Millis;

use super::msg::{Endpoint, Msg};

/// How unreliable the bus is in one schedule.
#[derive(Debug, Clone, Copy)]
pub struct Weather {
    pub drop_per_mille: u32,
    pub duplicate_per_mille: u32,
    pub max_delay: Millis,
}

/// What happens at a moment of virtual time.
#[derive(Debug, Clone)]
pub enum Event {
    Deliver {
        from: Endpoint,
        to: Endpoint,
        msg: Box<Msg>,
    },
    /// A process's own timer: heartbeats, request deadlines, the failover's wake-up.
    Timer(Endpoint, Timer),
    /// A fault starts or ends.
    Fault(Fault),
    /// The client's next write.
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    Tick,
    /// A request's deadline, by its id.
    Deadline(u64),
    /// The failover asked to be woken.
    Wake,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Cut(Endpoint),
    Heal(Endpoint),
    Pause(Endpoint),
    Resume(Endpoint),
    Crash(Endpoint),
    Restart(Endpoint),
    /// An operator asks this sentinel for a planned failover (SENTINEL FAILOVER).
    PlannedFailover(usize),
}

pub struct Net {
    queue: BinaryHeap<Reverse<(Millis, u64, Slot)>>,
    seq: u64,
    pub weather: Weather,
    pub cut: BTreeSet<Endpoint>,
    pub paused: BTreeSet<Endpoint>,
    /// Messages held for paused processes, in arrival order.
    pub held: Vec<(Endpoint, Endpoint, Msg)>,
    pub delivered: u64,
}

/// An event in the queue; ordered by time, then by insertion.
#[derive(Debug, Clone)]
struct Slot(Event);

impl PartialEq for Slot {
    fn eq(&self, _: &Slot) -> bool {
        true
    }
}
impl Eq for Slot {}
impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Slot) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Slot {
    fn cmp(&self, _: &Slot) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl Net {
    pub fn new(weather: Weather) -> Net {
        Net {
            queue: BinaryHeap::new(),
            seq: 0,
            weather,
            cut: BTreeSet::new(),
            paused: BTreeSet::new(),
            held: Vec::new(),
            delivered: 0,
        }
    }

    pub fn at(&mut self, when: Millis, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse((when, self.seq, Slot(event))));
    }

    pub fn next(&mut self) -> Option<(Millis, Event)> {
        self.queue
            .pop()
            .map(|Reverse((when, _, Slot(event)))| (when, event))
    }

    /// Sends over the bus; `direct` messages (a client's TCP connection to a node) do
    /// not cross it, so a bus cut does not stop them.
    pub fn send(
        &mut self,
        rng: &mut SmallRng,
        now: Millis,
        from: Endpoint,
        to: Endpoint,
        msg: Msg,
    ) {
        let direct = matches!(from, Endpoint::Client);
        if !direct && (self.cut.contains(&from) || self.cut.contains(&to)) {
            return;
        }
        if rng.gen_range(0..1000) < self.weather.drop_per_mille {
            return;
        }
        let copies = if rng.gen_range(0..1000) < self.weather.duplicate_per_mille {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = rng.gen_range(1..=self.weather.max_delay.max(1));
            let msg = Box::new(msg.clone());
            self.at(now + delay, Event::Deliver { from, to, msg });
        }
    }

    /// Whether a message arriving now reaches its process, or is held or lost.
    pub fn arrives(&mut self, from: Endpoint, to: Endpoint, msg: &Msg) -> bool {
        let direct = matches!(from, Endpoint::Client);
        if !direct && (self.cut.contains(&from) || self.cut.contains(&to)) {
            return false;
        }
        if self.paused.contains(&to) {
            self.held.push((from, to, msg.clone()));
            return false;
        }
        self.delivered += 1;
        true
    }

    /// What a resumed process finds waiting.
    pub fn release(&mut self, to: Endpoint) -> Vec<(Endpoint, Msg)> {
        let (mine, rest) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(_, dest, _)| *dest == to);
        self.held = rest;
        mine.into_iter().map(|(from, _, msg)| (from, msg)).collect()
    }
}
