//! What a command runs against: the engine, the calling connection's session, and the time.

use bytes::Bytes;
use hashbrown::HashSet;
use rg_resp::Protocol;
use tokio::sync::{mpsc, oneshot};

use crate::engine::blocking::WaiterId;
use crate::engine::clients::ClientId;
use crate::engine::error::CmdError;
use crate::engine::evict;
use crate::engine::keyspace::{Keyspace, Millis, PERSISTENT};
pub use crate::engine::notify::Class;
use crate::engine::pubsub::PushMessage;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::value::Value;
use crate::engine::Engine;

/// A transaction being queued between MULTI and EXEC.
#[derive(Debug, Default)]
pub struct Transaction {
    pub queued: Vec<Vec<Bytes>>,
    /// A command failed to queue (unknown, wrong arity): EXEC aborts.
    pub failed: bool,
}

/// The state a connection carries between commands.
#[derive(Debug)]
pub struct Session {
    pub id: ClientId,
    pub db: usize,
    pub protocol: Protocol,
    pub authenticated: bool,
    pub transaction: Option<Transaction>,
    pub watching: Vec<(usize, SmallBytes)>,
    pub channels: HashSet<Bytes>,
    pub patterns: HashSet<Bytes>,
    pub shard_channels: HashSet<Bytes>,
    pub push: mpsc::Sender<PushMessage>,
    /// The replication position just after this client's last write, for WAIT.
    pub write_position: Option<rg_proto::Position>,
    /// CLIENT REPLY.
    pub reply: ReplyMode,
}

/// CLIENT REPLY's state: replies are sent (On), dropped (Off), or dropped for this command
/// and the next (SkipNext, set by CLIENT REPLY SKIP, becomes Skip after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    SkipNext,
    Skip,
}

impl ReplyMode {
    /// Whether the reply of the command just run is sent, and the mode for the next one.
    pub fn after_command(self) -> (bool, ReplyMode) {
        match self {
            ReplyMode::On => (true, ReplyMode::On),
            ReplyMode::Off => (false, ReplyMode::Off),
            ReplyMode::SkipNext => (false, ReplyMode::Skip),
            ReplyMode::Skip => (false, ReplyMode::On),
        }
    }
}

impl Session {
    pub fn new(id: ClientId, authenticated: bool, push: mpsc::Sender<PushMessage>) -> Self {
        Session {
            id,
            db: 0,
            protocol: Protocol::Resp2,
            authenticated,
            transaction: None,
            watching: Vec::new(),
            channels: HashSet::new(),
            patterns: HashSet::new(),
            shard_channels: HashSet::new(),
            push,
            write_position: None,
            reply: ReplyMode::On,
        }
    }

    /// Channels and patterns: the count (P)SUBSCRIBE confirmations carry.
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Every subscription, shard channels included.
    pub fn total_subscriptions(&self) -> usize {
        self.subscription_count() + self.shard_channels.len()
    }

    /// RESP2 connections with subscriptions accept only pub/sub commands.
    pub fn in_subscribe_mode(&self) -> bool {
        self.protocol == Protocol::Resp2 && self.total_subscriptions() > 0
    }
}

/// A command's outcome, as the connection must act on it.
#[derive(Debug)]
pub enum Response {
    Reply(Reply),
    /// The client waits until the waiter is served or `deadline` passes (None: forever).
    Block {
        waiter: WaiterId,
        rx: oneshot::Receiver<Reply>,
        deadline: Option<Millis>,
    },
    /// WAIT: answer once `needed` replicas have acknowledged `target`, or at `deadline`
    /// (None: no limit) with how many have.
    WaitAcks {
        target: rg_proto::Position,
        needed: usize,
        deadline: Option<Millis>,
    },
    /// Answer, then close the connection (QUIT).
    Close(Reply),
    /// CLIENT PAUSE holds this command: run it again at `until` or once `resumed` fires.
    Paused {
        until: Millis,
        resumed: std::sync::Arc<tokio::sync::Notify>,
    },
    /// Answer nothing; stop the server (SHUTDOWN).
    Shutdown,
}

impl From<Reply> for Response {
    fn from(reply: Reply) -> Self {
        Response::Reply(reply)
    }
}

pub struct Ctx<'a> {
    pub engine: &'a mut Engine,
    pub session: &'a mut Session,
    pub now: Millis,
    /// Executing inside EXEC: blocking commands do not block.
    pub in_exec: bool,
    /// Applying the primary's stream on a replica: writes are allowed and keys are not
    /// considered expired until the primary's DEL arrives.
    pub from_primary: bool,
}

impl Ctx<'_> {
    pub fn db(&self) -> usize {
        self.session.db
    }

    pub fn keys(&mut self) -> &mut Keyspace {
        &mut self.engine.dbs[self.session.db].keys
    }

    /// The slot of a live key: an expired key is deleted first.
    pub fn find(&mut self, key: &[u8]) -> Option<u32> {
        let db = self.session.db;
        let slot = self.engine.dbs[db].keys.find(key)?;
        let expires_at = self.engine.dbs[db].keys.entry(slot).expires_at;
        if expires_at != PERSISTENT && expires_at <= self.now {
            // A replica hides an expired key from its clients but leaves the deletion to
            // the primary, whose DEL keeps every replica identical.
            if self.engine.repl.is_replica() {
                return self.from_primary.then_some(slot);
            }
            // Paused: expired for the client, deleted once the pause ends.
            if self.engine.pause.holds_writes(self.now) && !self.from_primary {
                return None;
            }
            self.engine.delete_expired(db, key);
            return None;
        }
        Some(slot)
    }

    /// [`find`](Self::find) for commands that only look (EXISTS, TYPE, TTL...): a missing
    /// key is a `keymiss` event, as Redis's lookupKeyRead makes it.
    pub fn find_for_read(&mut self, key: &[u8]) -> Option<u32> {
        let slot = self.find(key);
        if slot.is_none() {
            self.note_miss(key);
        }
        slot
    }

    fn note_miss(&mut self, key: &[u8]) {
        if self.engine.current.notify_misses {
            self.notify(Class::KEY_MISS, "keymiss", key);
        }
    }

    /// Reads a key's value, counting hits and misses and stamping the access.
    pub fn read(&mut self, key: &[u8]) -> Option<&Value> {
        let Some(slot) = self.find(key) else {
            self.engine.stats.keyspace_misses += 1;
            self.note_miss(key);
            return None;
        };
        self.engine.stats.keyspace_hits += 1;
        let Engine {
            dbs, settings, rng, ..
        } = &mut *self.engine;
        let entry = dbs[self.session.db].keys.entry_mut(slot);
        entry.access = evict::on_access(entry.access, self.now, settings, rng);
        Some(&entry.value)
    }

    /// Reads a value of one type: `Ok(None)` if missing, WRONGTYPE if of another type.
    pub fn read_as<T>(
        &mut self,
        key: &[u8],
        pick: fn(&Value) -> Option<&T>,
    ) -> Result<Option<&T>, CmdError> {
        match self.read(key) {
            None => Ok(None),
            Some(value) => pick(value).map(Some).ok_or(CmdError::WrongType),
        }
    }

    /// The value of a live key, for modification.
    pub fn write(&mut self, key: &[u8]) -> Option<&mut Value> {
        let slot = self.find(key)?;
        let access = self.engine.access_stamp(self.now);
        let entry = self.keys().entry_mut(slot);
        entry.access = access;
        Some(&mut entry.value)
    }

    pub fn write_as<T>(
        &mut self,
        key: &[u8],
        pick: fn(&mut Value) -> Option<&mut T>,
    ) -> Result<Option<&mut T>, CmdError> {
        match self.write(key) {
            None => Ok(None),
            Some(value) => pick(value).map(Some).ok_or(CmdError::WrongType),
        }
    }

    /// The value of one type for modification, created empty with `make` if missing.
    pub fn write_or_create<T>(
        &mut self,
        key: &[u8],
        make: fn() -> Value,
        pick: fn(&mut Value) -> Option<&mut T>,
    ) -> Result<&mut T, CmdError> {
        if self.find(key).is_none() {
            let access = self.engine.access_stamp(self.now);
            self.keys().insert(key, make(), access);
            self.notify(Class::NEW, "new", key);
        }
        let value = self.write(key).ok_or(CmdError::NoSuchKey)?;
        pick(value).ok_or(CmdError::WrongType)
    }

    /// Sets a key's value, keeping its expiry if it has one.
    pub fn set(&mut self, key: &[u8], value: Value) -> u32 {
        let existed = self.find(key).is_some();
        let access = self.engine.access_stamp(self.now);
        let slot = self.keys().insert(key, value, access);
        if !existed {
            self.notify(Class::NEW, "new", key);
        }
        slot
    }

    /// Sets a key's value and clears any expiry (what SET does without KEEPTTL).
    pub fn set_persistent(&mut self, key: &[u8], value: Value) -> u32 {
        // No lookup first unless events are wanted: whether the old key had expired does
        // not matter once the expiry is cleared.
        let created =
            !self.engine.settings.notify_keyspace_events.is_empty() && self.find(key).is_none();
        let access = self.engine.access_stamp(self.now);
        let slot = self.keys().insert(key, value, access);
        self.keys().set_expiry(slot, PERSISTENT);
        if created {
            self.notify(Class::NEW, "new", key);
        }
        slot
    }

    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.find(key).is_some() && self.keys().remove(key).is_some()
    }

    /// Deletes `key` if a command left its container empty (with its "del" event, which
    /// Redis sends after the command's own).
    pub fn drop_if_empty(&mut self, key: &[u8]) {
        let empty = matches!(self.keys().get(key), Some(e) if e.value.is_empty_container());
        if empty {
            self.keys().remove(key);
            self.notify(Class::GENERIC, "del", key);
        }
    }

    /// Deletes `key` if a failed command left the container it created empty: no event,
    /// as for Redis the key never existed.
    pub fn discard_if_empty(&mut self, key: &[u8]) {
        let empty = matches!(self.keys().get(key), Some(e) if e.value.is_empty_container());
        if empty {
            self.keys().remove(key);
        }
    }

    /// After a command removed elements from a container: signals the change with `event`,
    /// deletes the key if now empty, and records the command as sent.
    pub fn after_removal(&mut self, key: &[u8], args: &[Bytes], class: Class, event: &str) {
        self.changed(key);
        self.notify(class, event, key);
        self.drop_if_empty(key);
        self.propagate_verbatim(args);
    }

    /// Signals that `key` was modified (WATCH, blocked clients, dirty count), and notes
    /// whether its value outgrew Redis's compact encoding (see `Entry::grown`).
    pub fn changed(&mut self, key: &[u8]) {
        self.engine.touch(self.session.db, key);
        let limits = self.engine.settings.extra.limits();
        if let Some(entry) = self.engine.dbs[self.session.db].keys.get_mut(key) {
            let outgrown = match &entry.value {
                Value::Hash(h) => h.len() > limits.hash_entries,
                Value::Set(s) => s.len() > limits.set_intset_entries,
                Value::ZSet(z) => z.len() > limits.zset_entries,
                Value::Str(_) | Value::List(_) | Value::Stream(_) => false,
            };
            if outgrown && !entry.grown() {
                entry.set_grown();
            }
        }
    }

    /// Publishes a keyspace event about `key` in this session's database (a no-op unless
    /// `notify-keyspace-events` names the class).
    #[inline]
    pub fn notify(&mut self, class: Class, event: &str, key: &[u8]) {
        self.engine.notify(class, event, self.session.db, key);
    }

    /// Whether replication records are wanted, so commands skip building them otherwise.
    pub fn recording(&self) -> bool {
        self.engine.records.is_some()
    }

    /// Records `args` as this write's effect, in this session's database.
    pub fn propagate(&mut self, args: Vec<Bytes>) {
        self.engine.propagate(self.session.db, args);
    }

    /// Records the command exactly as the client sent it.
    pub fn propagate_verbatim(&mut self, args: &[Bytes]) {
        if self.recording() {
            self.propagate(args.to_vec());
        }
    }

    /// Records a command built from parts.
    pub fn propagate_parts(&mut self, parts: &[&[u8]]) {
        if self.recording() {
            self.propagate(parts.iter().map(|p| Bytes::copy_from_slice(p)).collect());
        }
    }
}

/// An absolute expiry, as the text of a PEXPIREAT argument.
pub fn millis_text(at: Millis) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(at).as_bytes())
}
