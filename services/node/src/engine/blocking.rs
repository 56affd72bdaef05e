//! Clients blocked on keys (the list pops and moves, the sorted-set pops, the stream
//! reads), in the order
//! they blocked.
//!
//! A write to a key someone waits on marks the key ready; after the command that wrote it,
//! the executor serves the waiters of ready keys in FIFO order, under the same lock, so a
//! served client gets the element before any later command can take it (as in Redis).

use std::collections::VecDeque;

use hashbrown::HashMap;
use tokio::sync::oneshot;

use super::clients::ClientId;
use super::reply::Reply;
use super::small_bytes::SmallBytes;
use super::stream::StreamId;
use super::DATABASES;

pub type WaiterId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockOp {
    /// BLPOP (from the left) or BRPOP with no count; BLMPOP with its count.
    Pop { left: bool, count: Option<usize> },
    /// BLMOVE: pop from the ready key, push to `destination`.
    Move {
        destination: SmallBytes,
        from_left: bool,
        to_left: bool,
    },
    /// BZPOPMIN or BZPOPMAX (`highest`) with no count; BZMPOP with its count.
    ZPop { highest: bool, count: Option<usize> },
    /// XREAD or XREADGROUP with BLOCK.
    Stream(Box<StreamWait>),
}

/// What a blocked XREAD or XREADGROUP waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamWait {
    /// Per key, the ID new entries must be above (XREAD; `$` resolved when it blocked).
    /// XREADGROUP reads after its group's last delivered ID instead.
    pub after: Vec<(SmallBytes, StreamId)>,
    pub count: usize,
    pub group: Option<GroupWait>,
    /// The reply is a map in RESP3.
    pub resp3: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupWait {
    pub group: SmallBytes,
    pub consumer: SmallBytes,
    pub noack: bool,
}

/// What a waiter can be served from: Redis serves a ready key's waiters whose command
/// wants the type the key now holds, and leaves the others blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    List,
    ZSet,
    Stream,
}

impl BlockOp {
    pub fn wants(&self) -> Wants {
        match self {
            BlockOp::Pop { .. } | BlockOp::Move { .. } => Wants::List,
            BlockOp::ZPop { .. } => Wants::ZSet,
            BlockOp::Stream(_) => Wants::Stream,
        }
    }
}

#[derive(Debug)]
pub struct Waiter {
    pub client: ClientId,
    pub db: usize,
    pub keys: Vec<SmallBytes>,
    pub op: BlockOp,
    pub reply: oneshot::Sender<Reply>,
}

#[derive(Debug)]
pub struct Blocking {
    last_id: WaiterId,
    queues: Vec<HashMap<SmallBytes, VecDeque<WaiterId>>>,
    waiters: HashMap<WaiterId, Waiter>,
    ready: Vec<(usize, SmallBytes)>,
}

impl Default for Blocking {
    fn default() -> Self {
        Blocking {
            last_id: 0,
            queues: (0..DATABASES).map(|_| HashMap::new()).collect(),
            waiters: HashMap::new(),
            ready: Vec::new(),
        }
    }
}

impl Blocking {
    pub fn block(
        &mut self,
        client: ClientId,
        db: usize,
        keys: Vec<SmallBytes>,
        op: BlockOp,
    ) -> (WaiterId, oneshot::Receiver<Reply>) {
        self.last_id += 1;
        let id = self.last_id;
        for key in &keys {
            self.queues[db]
                .entry(key.clone())
                .or_default()
                .push_back(id);
        }
        let (reply, rx) = oneshot::channel();
        let waiter = Waiter {
            client,
            db,
            keys,
            op,
            reply,
        };
        self.waiters.insert(id, waiter);
        (id, rx)
    }

    /// Removes a waiter (timed out, served, or gone); None if it was already removed.
    /// The waiter a client is blocked on, if it is (CLIENT UNBLOCK).
    pub fn waiter_of(&self, client: ClientId) -> Option<WaiterId> {
        self.waiters
            .iter()
            .find(|(_, w)| w.client == client)
            .map(|(&id, _)| id)
    }

    pub fn unblock(&mut self, id: WaiterId) -> Option<Waiter> {
        let waiter = self.waiters.remove(&id)?;
        for key in &waiter.keys {
            let queues = &mut self.queues[waiter.db];
            if let Some(queue) = queues.get_mut(key.as_slice()) {
                queue.retain(|&w| w != id);
                if queue.is_empty() {
                    queues.remove(key.as_slice());
                }
            }
        }
        Some(waiter)
    }

    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.waiters.is_empty() || !self.queues[db].contains_key(key) {
            return;
        }
        if !self
            .ready
            .iter()
            .any(|(d, k)| *d == db && k.as_slice() == key)
        {
            self.ready.push((db, SmallBytes::new(key)));
        }
    }

    /// Marks every key waited on in `db` as ready: the database's contents were replaced
    /// (SWAPDB), so any of them may now hold what its waiters want.
    pub fn signal_all(&mut self, db: usize) {
        let keys: Vec<SmallBytes> = self.queues[db].keys().cloned().collect();
        for key in keys {
            self.signal(db, key.as_slice());
        }
    }

    pub fn take_ready(&mut self) -> Vec<(usize, SmallBytes)> {
        std::mem::take(&mut self.ready)
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The clients blocked on `key`, longest-waiting first.
    pub fn waiters_on(&self, db: usize, key: &[u8]) -> Vec<WaiterId> {
        self.queues[db]
            .get(key)
            .map_or_else(Vec::new, |q| q.iter().copied().collect())
    }

    /// What a still-registered waiter is blocked in.
    pub fn op(&self, id: WaiterId) -> Option<&BlockOp> {
        self.waiters.get(&id).map(|w| &w.op)
    }

    /// What a still-registered waiter wants.
    pub fn wants(&self, id: WaiterId) -> Option<Wants> {
        self.waiters.get(&id).map(|w| w.op.wants())
    }

    pub fn waiting_count(&self) -> usize {
        self.waiters.len()
    }
}
