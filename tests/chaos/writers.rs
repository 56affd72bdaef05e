//! The writers: one thread and one connection each, through the router's smart endpoint,
//! writing unique keys `chaos:<writer>:<seq>` with unique values. In wait mode each SET is
//! followed by `WAIT 1 <t>` (t = 100, 1000 or 3000 ms, spread over the writers). What a
//! write got is recorded: an OK, and what WAIT answered. Errors (CONNLOST, NOPRIMARY,
//! READONLY, NOREPLICAS, timeouts) are not acknowledgements; they are counted by kind.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::{Connection, RedisError};

use super::observe::{connect, poll};
use super::options::{Mode, Options};
use super::plan::mix;

/// Longer than the router holds a write while no primary is reachable (10 s by default)
/// plus the longest WAIT: a reply that takes longer is a lost connection.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);
const WAIT_MS: [u64; 3] = [100, 1_000, 3_000];

/// A SET that was answered OK.
#[derive(Clone, Debug)]
pub struct Write {
    pub key: String,
    pub value: String,
    pub round: u32,
    /// When the OK arrived.
    pub at: Instant,
    /// From sending SET to the answer of its WAIT (of the SET in sync mode).
    pub latency: Duration,
    /// What `WAIT 1 <t>` answered (None: an error, or sync mode, where none is sent).
    pub waited: Option<i64>,
}

impl Write {
    /// Whether the group promised to keep this write in `mode`.
    pub fn acknowledged(&self, mode: Mode) -> bool {
        match mode {
            Mode::Wait => self.waited.is_some_and(|n| n >= 1),
            Mode::Sync => true,
        }
    }
}

struct Shared {
    port: u16,
    options: Options,
    run: AtomicBool,
    stop: AtomicBool,
    round: AtomicU32,
    busy: Vec<AtomicBool>,
    writes: Mutex<Vec<Write>>,
    /// (round, error kind) -> how many.
    errors: Mutex<BTreeMap<(u32, String), u64>>,
}

pub struct Writers {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Writers {
    /// Starts `options.writers` writers against `port`, paused.
    pub fn start(port: u16, options: &Options) -> Writers {
        let shared = Arc::new(Shared {
            port,
            options: options.clone(),
            run: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            round: AtomicU32::new(0),
            busy: (0..options.writers)
                .map(|_| AtomicBool::new(false))
                .collect(),
            writes: Mutex::default(),
            errors: Mutex::default(),
        });
        let threads = (0..options.writers)
            .map(|writer| {
                let shared = shared.clone();
                std::thread::spawn(move || write_loop(&shared, writer))
            })
            .collect();
        Writers { shared, threads }
    }

    /// Lets the writers write again; what they write now belongs to `round`.
    pub fn resume(&self, round: u32) {
        self.shared.round.store(round, SeqCst);
        self.shared.run.store(true, SeqCst);
    }

    /// Stops the writers after the write each has in flight (bounded by its timeouts).
    pub fn pause(&self) -> Result<(), String> {
        self.shared.run.store(false, SeqCst);
        poll(CLIENT_TIMEOUT * 2, || {
            match self.shared.busy.iter().position(|b| b.load(SeqCst)) {
                Some(writer) => Err(format!("writer {writer} did not finish its write")),
                None => Ok(()),
            }
        })
    }

    /// Every write answered OK so far, in the order the answers arrived.
    pub fn writes(&self) -> MutexGuard<'_, Vec<Write>> {
        self.shared.writes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The errors of `round`, by kind.
    pub fn errors(&self, round: u32) -> BTreeMap<String, u64> {
        let errors = self.shared.errors.lock().unwrap_or_else(|e| e.into_inner());
        errors
            .iter()
            .filter(|((r, _), _)| *r == round)
            .map(|((_, kind), n)| (kind.clone(), *n))
            .collect()
    }

    pub fn stop(self) {
        self.shared.stop.store(true, SeqCst);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn write_loop(shared: &Shared, writer: usize) {
    let mut writer = Writer {
        shared,
        index: writer,
        rng: StdRng::seed_from_u64(mix(shared.options.seed, 1_000 + writer as u64)),
        con: None,
        seq: 0,
    };
    while !shared.stop.load(SeqCst) {
        // Busy before looking at `run`: a pause that sees every writer idle knows none
        // is about to start a write.
        shared.busy[writer.index].store(true, SeqCst);
        if shared.run.load(SeqCst) {
            writer.write_one(shared.round.load(SeqCst));
        }
        shared.busy[writer.index].store(false, SeqCst);
        std::thread::sleep(shared.options.write_interval);
    }
}

struct Writer<'a> {
    shared: &'a Shared,
    index: usize,
    rng: StdRng,
    con: Option<Connection>,
    seq: u64,
}

impl Writer<'_> {
    fn write_one(&mut self, round: u32) {
        if self.con.is_none() {
            match connect(self.shared.port, CLIENT_TIMEOUT) {
                Ok(con) => self.con = Some(con),
                Err(_) => {
                    self.count(round, "connect");
                    std::thread::sleep(Duration::from_millis(20));
                    return;
                }
            }
        }
        let Some(con) = self.con.as_mut() else {
            return;
        };
        let key = format!("chaos:{}:{}", self.index, self.seq);
        let value = value(&mut self.rng, &self.shared.options, self.index, self.seq);
        let wait_ms = WAIT_MS
            .get(self.index)
            .copied()
            .unwrap_or_else(|| WAIT_MS[self.rng.gen_range(0..WAIT_MS.len())]);
        self.seq += 1;
        let sent = Instant::now();
        let set = redis::cmd("SET").arg(&key).arg(&value).query::<()>(con);
        if let Err(error) = set {
            return self.failed(round, &error);
        }
        let at = Instant::now();
        let waited = match self.shared.options.mode {
            Mode::Sync => None,
            Mode::Wait => match redis::cmd("WAIT").arg(1).arg(wait_ms).query::<i64>(con) {
                Ok(n) => Some(n),
                Err(error) => {
                    self.failed(round, &error);
                    None
                }
            },
        };
        let latency = sent.elapsed();
        let write = Write {
            key,
            value,
            round,
            at,
            latency,
            waited,
        };
        self.shared
            .writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(write);
    }

    /// Counts the error; a connection that failed other than by an error reply is dropped.
    fn failed(&mut self, round: u32, error: &RedisError) {
        let kind = match error.code() {
            Some(code) => code.to_string(),
            None if error.is_timeout() => "timeout".to_string(),
            None => "io".to_string(),
        };
        if error.code().is_none() {
            self.con = None;
        }
        self.count(round, &kind);
    }

    fn count(&self, round: u32, kind: &str) {
        let mut errors = self.shared.errors.lock().unwrap_or_else(|e| e.into_inner());
        *errors.entry((round, kind.to_string())).or_default() += 1;
    }
}

/// A value no other write has: the seed, writer and sequence number, a random tag, and for
/// a big write (writer 0, every `big_every`-th) padding up to 0.6 to 2 MiB.
fn value(rng: &mut StdRng, options: &Options, writer: usize, seq: u64) -> String {
    let mut value = format!("{}:{writer}:{seq}:{:016x}", options.seed, rng.gen::<u64>());
    let every = options.big_every;
    let big = writer == 0 && every > 0 && seq % every == every - 1;
    if big {
        let size = rng.gen_range(600 * 1024..=2 * 1024 * 1024);
        let fill = char::from(b'a' + (seq % 26) as u8).to_string();
        value.push_str(&fill.repeat(size));
    }
    value
}
