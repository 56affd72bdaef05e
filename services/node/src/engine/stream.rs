//! The stream type (<https://redis.io/docs/data-types/streams/>): entries ordered by ID, each
//! a list of field-value pairs, plus consumer groups with their pending entries.
//!
//! Entries are packed into nodes as Redis packs them into listpacks (see [`node`]): a node
//! holds up to `stream-node-max-entries` (100) entries and about `stream-node-max-bytes`
//! (4096) bytes of Redis's encoding, so a small entry costs a dozen bytes, and approximate
//! trimming (`MAXLEN ~`, `MINID ~`), which removes whole nodes only, removes what Redis
//! would. Nodes are keyed by their first ID in a `BTreeMap`.
//!
//! The counters Redis 7.0 keeps for consumer-group lag (`entries_added`,
//! `max_deleted_id`, `first_id`, a group's `entries_read`) follow `t_stream.c`.

mod group;
pub mod id;
mod listpack;
mod node;

use std::collections::BTreeMap;
use std::ops::Deref;

pub use self::group::{Consumer, Group, Pending};
pub use self::id::StreamId;
pub use self::node::Fields;
use self::node::Node;
use super::small_bytes::SmallBytes;

const NODE_MAX_ENTRIES: u32 = 100;
const NODE_MAX_BYTES: usize = 4096;

/// What a trim keeps: at most a length, or the entries from an ID on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Debug, Clone, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    length: usize,
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
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Listpack nodes, what XINFO reports as `radix-tree-keys`.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The bytes the entries take (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        self.nodes.values().map(|n| 64 + n.heap_size()).sum()
    }

    pub fn get(&self, id: StreamId) -> Option<Fields<'_>> {
        self.nodes.range(..=id).next_back()?.1.get(id)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    pub fn first(&self) -> Option<(StreamId, Fields<'_>)> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<(StreamId, Fields<'_>)> {
        self.nodes
            .values()
            .rev()
            .find_map(|node| node.entries().last())
    }

    /// The last entry's ID, 0-0 when empty (`streamLastValidID`).
    pub fn last_valid_id(&self) -> StreamId {
        self.last().map_or(StreamId::ZERO, |(id, _)| id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (StreamId, Fields<'_>)> {
        self.nodes.values().flat_map(Node::entries)
    }

    /// Entries from `start` to `end` inclusive, in ID order; empty if `start > end`.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl Iterator<Item = (StreamId, Fields<'_>)> {
        // Entries before the node holding `start` are all below it.
        let from = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(StreamId::ZERO, |(k, _)| *k);
        let nodes = (start <= end).then(|| self.nodes.range(from..));
        nodes
            .into_iter()
            .flatten()
            .take_while(move |(k, _)| **k <= end)
            .flat_map(|(_, node)| node.entries())
            .skip_while(move |(id, _)| *id < start)
            .take_while(move |(id, _)| *id <= end)
    }

    /// [`Stream::range`] from the end.
    pub fn range_rev(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl Iterator<Item = (StreamId, Fields<'_>)> {
        let nodes = (start <= end).then(|| self.nodes.range(..=end));
        nodes
            .into_iter()
            .flatten()
            .rev()
            .take_while(move |(_, node)| node.last >= start)
            .flat_map(|(_, node)| node.entries().collect::<Vec<_>>().into_iter().rev())
            .skip_while(move |(id, _)| *id > end)
            .take_while(move |(id, _)| *id >= start)
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

    /// Appends an entry (field, value, field, value...); the caller checked that `id` is
    /// above `last_id`.
    pub fn append<B: Deref<Target = [u8]>>(&mut self, id: StreamId, fields: &[B]) {
        let raw: usize = fields.iter().map(|f| f.len()).sum();
        match self.nodes.values_mut().next_back() {
            Some(node) if node.fits(raw, NODE_MAX_BYTES, NODE_MAX_ENTRIES) => node.push(id, fields),
            tail => {
                if let Some(node) = tail {
                    node.seal();
                }
                self.nodes.insert(id, Node::new(id, fields));
            }
        }
        self.length += 1;
        self.last_id = id;
        self.entries_added += 1;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// XDEL of one ID: whether it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&start, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        if !node.delete(id) {
            return false;
        }
        if node.live == 0 {
            self.nodes.remove(&start);
        }
        self.length -= 1;
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
            let len = self.length as u64;
            if let Trim::MaxLen(max) = trim {
                if len <= max {
                    break;
                }
            }
            let live = u64::from(node.live);
            if limit > 0 && deleted + live > limit {
                break;
            }
            let remove_node = match trim {
                Trim::MaxLen(max) => len.saturating_sub(live) >= max,
                Trim::MinId(min) => node.last < min,
            };
            if remove_node {
                self.nodes.remove(&start);
                self.length -= live as usize;
                deleted += live;
                continue;
            }
            if approx {
                break;
            }
            let Some(node) = self.nodes.get_mut(&start) else {
                break;
            };
            let mut left = len;
            let removed = node.delete_from_head(|id| {
                let go = match trim {
                    Trim::MaxLen(max) => left > max,
                    Trim::MinId(min) => id < min,
                };
                left -= u64::from(go);
                go
            });
            self.length -= removed as usize;
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
