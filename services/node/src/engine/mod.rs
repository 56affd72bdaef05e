//! The in-memory engine: databases of keys, and the server-wide state commands share
//! (clients, pub/sub, blocked clients, settings, statistics).
//!
//! Everything here is behind one lock held by the connection that executes a batch of
//! commands, so commands are atomic and replication records come out in execution order.

pub mod blocking;
pub mod clients;
pub mod digest;
pub mod error;
pub mod evict;
pub mod expire;
pub mod glob;
pub mod keyspace;
pub mod memory;
pub mod monitor;
pub mod notify;
pub mod observed;
pub mod pause;
pub mod pubsub;
pub mod replication;
pub mod reply;
pub mod settings;
pub mod small_bytes;
pub mod stream;
pub mod tracking;
pub mod value;
pub mod zset;

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};
use rand::rngs::SmallRng;
use rand::SeedableRng;

use self::blocking::Blocking;
use self::clients::{ClientId, Clients};
use self::keyspace::{Keyspace, Millis};
use self::notify::Class;
use self::pubsub::PubSub;
use self::settings::Settings;
use self::small_bytes::SmallBytes;

/// Redis's default number of databases.
pub const DATABASES: usize = 16;

/// The deterministic effect of one write, as a command a replica can apply verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub db: usize,
    pub args: Vec<Bytes>,
}

#[derive(Default)]
pub struct Db {
    pub keys: Keyspace,
    /// Clients that WATCH each key, so a write can mark their transactions dirty.
    pub watchers: HashMap<SmallBytes, Vec<ClientId>>,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub commands_processed: u64,
    pub connections_received: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub pubsub_messages: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Writes since start, as Redis's `rdb_changes_since_last_save` counts them.
    pub dirty: u64,
    /// Resyncs served as a primary: full, and partial ones accepted.
    pub sync_full: u64,
    pub sync_partial_ok: u64,
}

pub struct Engine {
    pub dbs: Vec<Db>,
    pub settings: Settings,
    pub stats: Stats,
    pub clients: Clients,
    pub pubsub: PubSub,
    pub monitors: monitor::Monitors,
    /// Whether the background task deletes expired keys (DEBUG SET-ACTIVE-EXPIRE 0 stops it,
    /// for tests of lazy expiry).
    pub active_expire: bool,
    pub blocking: Blocking,
    /// Clients whose watched keys changed: their EXEC will fail.
    pub dirty_watchers: HashSet<ClientId>,
    /// Replication records of the writes executed, when someone consumes them.
    pub records: Option<Vec<Record>>,
    pub rng: SmallRng,
    /// When the engine started, for uptime and the LRU clock.
    pub started_at: Millis,
    pub repl: replication::ReplState,
    /// The Lua scripts cached, and the state they run in.
    pub scripts: crate::scripting::Scripts,
    /// Command statistics, the slow log and latency events.
    pub observed: observed::Observed,
    /// Client-side caching: who may hold which keys.
    pub tracking: tracking::Tracking,
    /// The command running now, for NOLOOP and `keymiss` events.
    pub current: Current,
    /// CLIENT PAUSE.
    pub pause: pause::Pause,
}

/// The client whose command is running (0 between commands: expiry, eviction) and whether
/// a missing key it reads is a `keymiss` event (Redis's lookupKeyRead, not lookupKeyWrite).
#[derive(Debug, Default, Clone, Copy)]
pub struct Current {
    pub client: ClientId,
    pub notify_misses: bool,
    /// While a script runs: whether it ran a read-only command (client-side caching then
    /// tracks the script's declared keys, as Redis 7.0 does).
    pub script_read: Option<bool>,
}

impl Engine {
    pub fn new(settings: Settings, now: Millis) -> Self {
        Engine {
            dbs: (0..DATABASES).map(|_| Db::default()).collect(),
            settings,
            stats: Stats::default(),
            clients: Clients::default(),
            pubsub: PubSub::default(),
            monitors: Default::default(),
            active_expire: true,
            blocking: Blocking::default(),
            dirty_watchers: HashSet::new(),
            records: None,
            rng: SmallRng::from_entropy(),
            started_at: now,
            repl: replication::ReplState::new(64 * 1024 * 1024),
            scripts: Default::default(),
            observed: Default::default(),
            tracking: Default::default(),
            current: Current::default(),
            pause: Default::default(),
        }
    }

    /// Starts keeping replication records (the replication layer drains them).
    pub fn record_writes(&mut self) {
        self.records.get_or_insert_with(Vec::new);
    }

    pub fn take_records(&mut self) -> Vec<Record> {
        self.records
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    pub fn propagate(&mut self, db: usize, args: Vec<Bytes>) {
        if let Some(records) = self.records.as_mut() {
            records.push(Record { db, args });
        }
    }

    /// Notes that `key` changed: its watchers' transactions fail and clients blocked on it
    /// get a chance to be served.
    pub fn touch(&mut self, db: usize, key: &[u8]) {
        self.stats.dirty += 1;
        let state = &mut self.dbs[db];
        if !state.watchers.is_empty() {
            if let Some(clients) = state.watchers.get(key) {
                self.dirty_watchers.extend(clients.iter().copied());
            }
        }
        self.blocking.signal(db, key);
        if !self.tracking.is_idle() {
            let current = self.current.client;
            self.tracking.invalidate(&self.clients, key, current);
        }
    }

    /// Marks every watched key of `db` as changed (FLUSHDB, FLUSHALL, SWAPDB).
    pub fn touch_all_watched(&mut self, db: usize) {
        for clients in self.dbs[db].watchers.values() {
            self.dirty_watchers.extend(clients.iter().copied());
        }
    }

    /// Deletes `key` if it has expired, recording a DEL for replicas; true if it did.
    pub fn expire_if_due(&mut self, db: usize, key: &[u8], now: Millis) -> bool {
        let keys = &self.dbs[db].keys;
        let due = matches!(keys.get(key), Some(e) if e.expires_at != 0 && e.expires_at <= now);
        if due {
            self.delete_expired(db, key);
        }
        due
    }

    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if self.dbs[db].keys.remove(key).is_some() {
            self.stats.expired_keys += 1;
            self.touch(db, key);
            self.notify(Class::EXPIRED, "expired", db, key);
            self.propagate(
                db,
                vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)],
            );
        }
    }

    /// Publishes a keyspace event if `notify-keyspace-events` asks for its class.
    #[inline]
    pub fn notify(&mut self, class: Class, event: &str, db: usize, key: &[u8]) {
        if self.settings.notify_keyspace_events.contains(class) {
            self.publish_event(event, db, key);
        }
    }

    fn publish_event(&mut self, event: &str, db: usize, key: &[u8]) {
        let flags = self.settings.notify_keyspace_events;
        let mut messages = Vec::with_capacity(2);
        if flags.contains(Class::KEYSPACE) {
            let channel = notify::channel("keyspace", db, key);
            messages.push((channel, Bytes::copy_from_slice(event.as_bytes())));
        }
        if flags.contains(Class::KEYEVENT) {
            let channel = notify::channel("keyevent", db, event.as_bytes());
            messages.push((channel, Bytes::copy_from_slice(key)));
        }
        for (channel, payload) in messages {
            let delivery = self.pubsub.publish(&channel, &payload);
            for client in delivery.too_slow {
                tracing::warn!(client, "disconnecting a subscriber that cannot keep up");
                self.clients.kill(client);
            }
        }
    }

    pub fn key_count(&self) -> usize {
        self.dbs.iter().map(|db| db.keys.len()).sum()
    }

    /// The eviction policy's stamp for an access now.
    pub fn access_stamp(&self, now: Millis) -> u32 {
        evict::access_stamp(self.settings.maxmemory_policy, now)
    }
}
