//! Split-brain watch: every ~50 ms, `INFO replication` on each node (straight to its port).
//! When two or more report role master, each of them is sent a probe write
//! (`SET probe:<node>:<n>`, a prefix the checker ignores); a sample where two of them
//! answered OK is a split brain: two nodes accepting writes at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis::Connection;

use super::observe::{connect, view, Role};

const PERIOD: Duration = Duration::from_millis(50);
const SAMPLE_TIMEOUT: Duration = Duration::from_millis(200);
/// Longer than a sync-mode write may wait for its replica (`sync-timeout-ms`, 1 s).
const PROBE_TIMEOUT: Duration = Duration::from_millis(1_500);

/// What the sampler saw during one round.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub samples: u64,
    /// Samples where two or more nodes reported master.
    pub two_masters: u64,
    /// Samples where two or more of those accepted a probe write.
    pub split_brain: u64,
    /// The nodes of the first split-brain sample, and when it was.
    pub first: Option<(Instant, Vec<&'static str>)>,
}

pub struct Sampler {
    stop: Arc<AtomicBool>,
    round: Arc<AtomicU32>,
    seen: Arc<Mutex<BTreeMap<u32, Seen>>>,
    thread: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Watches `nodes` (id, real port).
    pub fn start(nodes: Vec<(&'static str, u16)>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let round = Arc::new(AtomicU32::new(0));
        let seen: Arc<Mutex<BTreeMap<u32, Seen>>> = Arc::default();
        let (s, r, out) = (stop.clone(), round.clone(), seen.clone());
        let thread = std::thread::spawn(move || watch(&nodes, &s, &r, &out));
        Sampler {
            stop,
            round,
            seen,
            thread: Some(thread),
        }
    }

    /// Samples from now on belong to `round`.
    pub fn set_round(&self, round: u32) {
        self.round.store(round, SeqCst);
    }

    pub fn seen(&self, round: u32) -> Seen {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(&round).cloned().unwrap_or_default()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch(
    nodes: &[(&'static str, u16)],
    stop: &AtomicBool,
    round: &AtomicU32,
    seen: &Mutex<BTreeMap<u32, Seen>>,
) {
    let mut cons: Vec<Option<Connection>> = nodes.iter().map(|_| None).collect();
    let mut probes = 0u64;
    while !stop.load(SeqCst) {
        let started = Instant::now();
        let masters: Vec<usize> = (0..nodes.len())
            .filter(|&i| reports_master(&mut cons[i], nodes[i].1))
            .collect();
        let mut accepted = Vec::new();
        if masters.len() >= 2 {
            for &i in &masters {
                probes += 1;
                if probe(nodes[i], probes) {
                    accepted.push(nodes[i].0);
                }
            }
        }
        let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        let this = seen.entry(round.load(SeqCst)).or_default();
        this.samples += 1;
        this.two_masters += u64::from(masters.len() >= 2);
        if accepted.len() >= 2 {
            this.split_brain += 1;
            this.first.get_or_insert((started, accepted));
        }
        drop(seen);
        std::thread::sleep(PERIOD.saturating_sub(started.elapsed()));
    }
}

/// Whether the node on `port` answers that it is a master; a silent node does not.
fn reports_master(con: &mut Option<Connection>, port: u16) -> bool {
    if con.is_none() {
        *con = connect(port, SAMPLE_TIMEOUT).ok();
    }
    let Some(c) = con.as_mut() else {
        return false;
    };
    match view(c) {
        Ok(view) => view.role == Role::Master,
        Err(_) => {
            // A timed-out reply may still arrive: start afresh next time.
            *con = None;
            false
        }
    }
}

/// Whether a probe write straight to the node was answered OK.
fn probe((id, port): (&'static str, u16), n: u64) -> bool {
    let Ok(mut con) = connect(port, PROBE_TIMEOUT) else {
        return false;
    };
    redis::cmd("SET")
        .arg(format!("probe:{id}:{n}"))
        .arg(n)
        .query::<()>(&mut con)
        .is_ok()
}
