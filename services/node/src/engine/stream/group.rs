//! A consumer group: the last delivered ID, the read counter, the pending entries list
//! (PEL) and the consumers, each with its own share of the PEL.

use std::collections::{BTreeMap, BTreeSet};

use super::id::StreamId;
use crate::engine::small_bytes::SmallBytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub consumer: SmallBytes,
    pub delivery_time: u64,
    pub delivery_count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consumer {
    pub seen_time: u64,
    pub pel: BTreeSet<StreamId>,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub last_id: StreamId,
    /// Entries the group has read, None when unknown (Redis's -1).
    pub entries_read: Option<u64>,
    pub pel: BTreeMap<StreamId, Pending>,
    /// By name, in byte order.
    pub consumers: BTreeMap<SmallBytes, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Self {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// The consumer called `name`, created if missing (true when created); its seen time
    /// becomes `now`.
    pub fn touch_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if let Some(consumer) = self.consumers.get_mut(name) {
            consumer.seen_time = now;
            return false;
        }
        let consumer = Consumer {
            seen_time: now,
            pel: BTreeSet::new(),
        };
        self.consumers.insert(SmallBytes::new(name), consumer);
        true
    }

    /// Creates a consumer without touching an existing one: whether it was created.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.touch_consumer(name, now)
    }

    /// Deletes a consumer and its pending entries: how many it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }

    /// Records `id` as delivered to `consumer` now (first delivery, or a redelivery after
    /// SETID moved the group back: the entry changes owner and its count restarts).
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: u64) {
        self.assign(id, consumer, now, 1);
    }

    /// Gives `id` to `consumer` with the given delivery time and count.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: u64, count: u64) {
        if let Some(old) = self.pel.get(&id) {
            if old.consumer.as_slice() != consumer {
                if let Some(owner) = self.consumers.get_mut(old.consumer.as_slice()) {
                    owner.pel.remove(&id);
                }
            }
        }
        let pending = Pending {
            consumer: SmallBytes::new(consumer),
            delivery_time: time,
            delivery_count: count,
        };
        self.pel.insert(id, pending);
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pel.insert(id);
        }
    }

    /// Removes `id` from the PEL (acknowledged, or its entry is gone): whether it was there.
    pub fn remove_pending(&mut self, id: StreamId) -> bool {
        let Some(pending) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(owner) = self.consumers.get_mut(pending.consumer.as_slice()) {
            owner.pel.remove(&id);
        }
        true
    }
}
