//! The stream type (<https://redis.io/docs/data-types/streams/>): entries ordered by ID, each
//! a list of field-value pairs, plus consumer groups with their pending entries.
//!
//! Entries live in a `BTreeMap` keyed by ID. Redis stores them in listpack nodes of up to
//! `stream-node-max-entries` (100) entries and about `stream-node-max-bytes` (4096)
//! bytes, and its approximate trimming (`MAXLEN ~`, `MINID ~`) removes whole nodes only;
//! `nodes` keeps the same node boundaries (first ID, live and deleted counts, an estimate of
//! the bytes) so that approximate trims remove what Redis would.
//!
//! The counters Redis 7.0 keeps for consumer-group lag (`entries_added`,
//! `max_deleted_id`, `first_id`, a group's `entries_read`) follow `t_stream.c`.

mod group;
pub mod id;
mod listpack;

use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

pub use self::group::{Consumer, Group, Pending};
pub use self::id::StreamId;
use super::small_bytes::SmallBytes;

/// Field, value, field, value...
pub type Fields = Box<[SmallBytes]>;

const NODE_MAX_ENTRIES: u32 = 100;
const NODE_MAX_BYTES: usize = 4096;

#[derive(Debug, Clone)]
struct Node {
    /// Entries present.
    live: u32,
    /// Entries present or deleted (deleted entries keep their place in a Redis node).
    total: u32,
    /// The node's listpack size in Redis's encoding.
    bytes: usize,
    /// The last ID appended to the node.
    last: StreamId,
    /// The field names of its first entry (Redis's master entry): later entries with the
    /// same names are stored without them.
    master: Box<[SmallBytes]>,
}

/// What a trim keeps: at most a length, or the entries from an ID on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Debug, Clone, Default)]
pub struct Stream {
    entries: BTreeMap<StreamId, Fields>,
    nodes: BTreeMap<StreamId, Node>,
    pub last_id: StreamId,
    /// The first entry's ID (0-0 when empty), as Redis's `first_id`.
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    /// By name, in byte order (Redis keeps them in a radix tree).
    pub groups: BTreeMap<SmallBytes, Group>,
}

impl Stream {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Listpack nodes, what XINFO reports as `radix-tree-keys`.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn get(&self, id: StreamId) -> Option<&Fields> {
        self.entries.get(&id)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.entries.contains_key(&id)
    }

    pub fn first(&self) -> Option<(StreamId, &Fields)> {
        self.entries.first_key_value().map(|(k, v)| (*k, v))
    }

    pub fn last(&self) -> Option<(StreamId, &Fields)> {
        self.entries.last_key_value().map(|(k, v)| (*k, v))
    }

    /// The last entry's ID, 0-0 when empty (`streamLastValidID`).
    pub fn last_valid_id(&self) -> StreamId {
        self.last().map_or(StreamId::ZERO, |(id, _)| id)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (StreamId, &Fields)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Entries from `start` to `end` inclusive, in ID order; empty if `start > end`.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl DoubleEndedIterator<Item = (StreamId, &Fields)> {
        let range = (start <= end).then(|| self.entries.range(start..=end));
        range.into_iter().flatten().map(|(k, v)| (*k, v))
    }

    /// The ID `*` stands for at time `now`: the time, or the last ID's next sequence when
    /// the clock has not passed it. None once the last possible ID was used.
    pub fn next_auto_id(&self, now: u64) -> Option<StreamId> {
        if now > self.last_id.ms {
            Some(StreamId::new(now, 0))
        } else {
            self.last_id.next()
        }
    }

    /// Appends an entry; the caller checked that `id` is above `last_id`.
    pub fn append(&mut self, id: StreamId, fields: Fields) {
        let raw: usize = fields.iter().map(|f| f.len()).sum();
        let tail = self.nodes.iter_mut().next_back();
        let fits = tail
            .as_ref()
            .is_some_and(|(_, n)| n.bytes + raw < NODE_MAX_BYTES && n.total < NODE_MAX_ENTRIES);
        match tail {
            Some((&master_id, node)) if fits => {
                let same = node.master.len() * 2 == fields.len()
                    && node
                        .master
                        .iter()
                        .zip(fields.iter().step_by(2))
                        .all(|(a, b)| a == b);
                node.live += 1;
                node.total += 1;
                node.bytes += listpack::entry(&fields, id, master_id, same);
                node.last = id;
            }
            _ => {
                let node = Node {
                    live: 1,
                    total: 1,
                    bytes: listpack::master(&fields) + listpack::entry(&fields, id, id, true),
                    last: id,
                    master: fields.iter().step_by(2).cloned().collect(),
                };
                self.nodes.insert(id, node);
            }
        }
        self.entries.insert(id, fields);
        self.last_id = id;
        self.entries_added += 1;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
    }

    /// XDEL of one ID: whether it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        if let Some((&start, node)) = self.nodes.range_mut(..=id).next_back() {
            node.live = node.live.saturating_sub(1);
            if node.live == 0 {
                self.nodes.remove(&start);
            }
        }
        if id > self.max_deleted_id {
            self.max_deleted_id = id;
        }
        if id == self.first_id {
            self.first_id = self.first().map_or(StreamId::ZERO, |(id, _)| id);
        }
        true
    }

    /// Removes entries from the head as `streamTrim` does: whole nodes while they all go,
    /// then (unless `approx`) entries one by one; at most `limit` entries if not 0.
    /// Returns how many were removed.
    pub fn trim(&mut self, trim: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some((&start, node)) = self.nodes.first_key_value() {
            let (node_live, node_last) = (node.live, node.last);
            if let Trim::MaxLen(max) = trim {
                if self.len() as u64 <= max {
                    break;
                }
            }
            let live = u64::from(node_live);
            if limit > 0 && deleted + live > limit {
                break;
            }
            let remove_node = match trim {
                Trim::MaxLen(max) => (self.len() as u64).saturating_sub(live) >= max,
                Trim::MinId(min) => node_last < min,
            };
            if remove_node {
                let next = self
                    .nodes
                    .range((Excluded(start), Unbounded))
                    .next()
                    .map(|(k, _)| *k);
                while let Some((&id, _)) = self.entries.first_key_value() {
                    if next.is_some_and(|n| id >= n) {
                        break;
                    }
                    self.entries.pop_first();
                }
                self.nodes.remove(&start);
                deleted += live;
                continue;
            }
            if approx {
                break;
            }
            let mut removed = 0;
            while let Some((&id, _)) = self.entries.first_key_value() {
                let stop = match trim {
                    Trim::MaxLen(max) => self.len() as u64 <= max,
                    Trim::MinId(min) => id >= min,
                };
                if stop || removed == node_live {
                    break;
                }
                self.entries.pop_first();
                removed += 1;
            }
            if let Some(node) = self.nodes.get_mut(&start) {
                node.live = node.live.saturating_sub(removed);
            }
            deleted += u64::from(removed);
            break;
        }
        if deleted > 0 {
            self.first_id = self.first().map_or(StreamId::ZERO, |(id, _)| id);
        }
        deleted
    }

    /// Whether a deleted entry may lie between `start` and `end` (`streamRangeHasTombstones`).
    pub fn has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.is_empty() || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        let start = start.unwrap_or(StreamId::ZERO);
        let end = end.unwrap_or(StreamId::MAX);
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// How many entries were ever added up to `id`, when that can be known
    /// (`streamEstimateDistanceFromFirstEverEntry`).
    pub fn entries_up_to(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.is_empty() && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        let no_fragmentation = self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id;
        if no_fragmentation {
            let len = self.len() as u64;
            if id < self.first_id {
                return Some(self.entries_added.saturating_sub(len));
            }
            if id == self.first_id {
                return Some(self.entries_added.saturating_sub(len) + 1);
            }
        }
        None
    }

    /// A group's lag: entries added after its last delivered one, when known. Negative
    /// when ENTRIESREAD claimed more than was added, as Redis reports it.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let added = self.entries_added as i64;
        if let Some(read) = group.entries_read {
            if !self.has_tombstones(Some(group.last_id), None) {
                return Some(added - read as i64);
            }
        }
        let read = self.entries_up_to(group.last_id)?;
        Some(added - read as i64)
    }

    /// Moves a group's last delivered ID to `id` (delivered now), keeping its read counter.
    pub fn advance_group(&mut self, name: &[u8], id: StreamId) {
        let tombstones = self.has_tombstones(Some(id), None);
        let estimate = self.entries_up_to(id);
        let added = self.entries_added;
        let Some(group) = self.groups.get_mut(name) else {
            return;
        };
        if id <= group.last_id {
            return;
        }
        match group.entries_read {
            Some(read) if !tombstones => group.entries_read = Some(read.saturating_add(1)),
            _ if added > 0 => group.entries_read = estimate,
            _ => {}
        }
        group.last_id = id;
    }
}

#[cfg(test)]
mod tests;
