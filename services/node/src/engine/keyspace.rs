//! One database's keys: a dense array of entries addressed through a hash index.
//!
//! Entries live in `slots` and never move while they exist: a deleted entry leaves a free
//! slot that the next insert reuses. That gives SCAN its guarantee (a cursor is a slot
//! index, so a key present for the whole scan is returned) and makes random sampling, which
//! eviction and active expiry need, a matter of picking an index. The hash index holds only
//! 4-byte slot numbers, so it costs 5 bytes per bucket.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry as IndexEntry, HashTable};
use hashbrown::DefaultHashBuilder;
use rand::Rng;

use super::small_bytes::SmallBytes;
use slots::Slots;

mod slots;
use super::value::Value;

/// Milliseconds since the Unix epoch.
pub type Millis = u64;

/// No expiry.
pub const PERSISTENT: Millis = 0;

const NO_SLOT: u32 = u32::MAX;

/// The top bit of an entry's `volatile_pos` is its snapshot mark, the next its
/// [`Entry::grown`] flag; the rest is its position.
const MARK: u32 = 1 << 31;
const GROWN: u32 = 1 << 30;
const NO_POS: u32 = GROWN - 1;

#[derive(Debug)]
pub struct Entry {
    pub key: SmallBytes,
    pub value: Value,
    /// Absolute expiry time, or [`PERSISTENT`].
    pub expires_at: Millis,
    /// The eviction policy's access stamp (LRU clock or LFU counter).
    pub access: u32,
    /// Where this entry sits in the keyspace's list of keys with an expiry (low 30 bits),
    /// whether its value ever outgrew Redis's compact encoding (bit 30), and whether the
    /// running snapshot has handled it (top bit, see [`Keyspace::mark`]).
    volatile_pos: u32,
}

impl Entry {
    fn pos(&self) -> u32 {
        self.volatile_pos & NO_POS
    }

    fn set_pos(&mut self, pos: u32) {
        self.volatile_pos = (self.volatile_pos & (MARK | GROWN)) | (pos & NO_POS);
    }

    /// The value once outgrew the compact encoding Redis would give it (OBJECT ENCODING):
    /// Redis never converts a value back, so neither does the answer. Cleared when the
    /// key gets a new value.
    pub fn grown(&self) -> bool {
        self.volatile_pos & GROWN != 0
    }

    pub fn set_grown(&mut self) {
        self.volatile_pos |= GROWN;
    }

    fn marked(&self) -> bool {
        self.volatile_pos & MARK != 0
    }

    fn set_marked(&mut self, marked: bool) {
        self.volatile_pos = (self.volatile_pos & !MARK) | if marked { MARK } else { 0 };
    }
}

#[derive(Debug)]
enum Slot {
    Used(Entry),
    Free { next: u32 },
}

#[derive(Default)]
pub struct Keyspace {
    index: HashTable<u32>,
    slots: Slots<Slot>,
    free_head: Option<u32>,
    len: usize,
    /// Slots of the entries that have an expiry, for active expiry and volatile eviction.
    volatile: Vec<u32>,
    hasher: DefaultHashBuilder,
    /// The mark value that means "handled by the current snapshot" (flipped at each start).
    mark: bool,
    snapshot: Option<Box<Walk>>,
}

/// A point-in-time snapshot in progress over this keyspace: entries are serialized either by
/// the walk or, just before their first change, by the change itself, so the output is the
/// keyspace as it was when the snapshot started, without stopping writes.
#[derive(Debug)]
struct Walk {
    cursor: usize,
    out: bytes::BytesMut,
    started: Millis,
}

impl Keyspace {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// The slot of `key`, if present (expired or not: expiry is the caller's business).
    pub fn find(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.index
            .find(hash, |&slot| self.key_at(slot) == key)
            .copied()
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.find(key).map(|slot| self.entry(slot))
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.find(key).map(|slot| self.entry_mut(slot))
    }

    /// The entry in `slot`. Panics on a free slot: slots come from this keyspace's own lookups.
    pub fn entry(&self, slot: u32) -> &Entry {
        match &self.slots[slot as usize] {
            Slot::Used(entry) => entry,
            Slot::Free { .. } => unreachable!("slot {slot} is free"),
        }
    }

    pub fn entry_mut(&mut self, slot: u32) -> &mut Entry {
        self.before_change(slot);
        match &mut self.slots[slot as usize] {
            Slot::Used(entry) => entry,
            Slot::Free { .. } => unreachable!("slot {slot} is free"),
        }
    }

    fn key_at(&self, slot: u32) -> &[u8] {
        match &self.slots[slot as usize] {
            Slot::Used(entry) => &entry.key,
            Slot::Free { .. } => &[],
        }
    }

    /// Sets `key` to `value`, keeping an existing key's expiry; returns its slot.
    pub fn insert(&mut self, key: &[u8], value: Value, access: u32) -> u32 {
        let hash = self.hasher.hash_one(key);
        let Keyspace {
            index,
            slots,
            hasher,
            ..
        } = self;
        let found = index.entry(
            hash,
            |&slot| slot_key(slots, slot) == key,
            |&slot| hasher.hash_one(slot_key(slots, slot)),
        );
        match found {
            IndexEntry::Occupied(occupied) => {
                let slot = *occupied.get();
                let entry = self.entry_mut(slot);
                entry.value = value;
                entry.access = access;
                entry.volatile_pos &= !GROWN;
                slot
            }
            IndexEntry::Vacant(vacant) => {
                let entry = Entry {
                    key: SmallBytes::new(key),
                    value,
                    expires_at: PERSISTENT,
                    access,
                    volatile_pos: NO_POS | if self.mark { MARK } else { 0 },
                };
                let slot = match self.free_head {
                    Some(free) => {
                        let Slot::Free { next } = slots[free as usize] else {
                            unreachable!("free list points at a used slot");
                        };
                        self.free_head = (next != NO_SLOT).then_some(next);
                        slots[free as usize] = Slot::Used(entry);
                        free
                    }
                    None => {
                        slots.push(Slot::Used(entry));
                        (slots.len() - 1) as u32
                    }
                };
                vacant.insert(slot);
                self.len += 1;
                slot
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let hash = self.hasher.hash_one(key);
        let Keyspace { index, slots, .. } = self;
        let found = index.find_entry(hash, |&slot| slot_key(slots, slot) == key);
        let slot = found.ok()?.remove().0;
        self.before_change(slot);
        Some(self.release(slot))
    }

    /// Removes the entry in `slot` from the slot array (the index no longer points at it).
    fn release(&mut self, slot: u32) -> Entry {
        let next = self.free_head.unwrap_or(NO_SLOT);
        let Slot::Used(entry) =
            std::mem::replace(&mut self.slots[slot as usize], Slot::Free { next })
        else {
            unreachable!("released a free slot");
        };
        self.free_head = Some(slot);
        self.len -= 1;
        self.forget_volatile(entry.pos());
        entry
    }

    /// Sets or clears (with [`PERSISTENT`]) the expiry of the entry in `slot`.
    pub fn set_expiry(&mut self, slot: u32, at: Millis) {
        let entry = self.entry_mut(slot);
        entry.expires_at = at;
        let pos = entry.pos();
        match (at == PERSISTENT, pos == NO_POS) {
            (false, true) => {
                let next = self.volatile.len() as u32;
                self.entry_mut(slot).set_pos(next);
                self.volatile.push(slot);
            }
            (true, false) => {
                self.entry_mut(slot).set_pos(NO_POS);
                self.forget_volatile(pos);
            }
            _ => {}
        }
    }

    fn forget_volatile(&mut self, pos: u32) {
        if pos == NO_POS {
            return;
        }
        self.volatile.swap_remove(pos as usize);
        if let Some(&moved) = self.volatile.get(pos as usize) {
            self.entry_mut(moved).set_pos(pos);
        }
    }

    /// Starts a point-in-time snapshot as of now (see [`Walk`]).
    pub fn start_snapshot(&mut self, now: Millis) {
        self.finish_snapshot();
        self.mark = !self.mark;
        self.snapshot = Some(Box::new(Walk {
            cursor: 0,
            out: bytes::BytesMut::new(),
            started: now,
        }));
    }

    /// Serializes unhandled entries until `max_bytes` are pending or the walk is over;
    /// true once every entry has been handled.
    pub fn snapshot_step(&mut self, max_bytes: usize) -> bool {
        let Some(walk) = self.snapshot.as_ref() else {
            return true;
        };
        let mut cursor = walk.cursor;
        while cursor < self.slots.len() && self.snapshot_pending() < max_bytes {
            self.before_change(cursor as u32);
            cursor += 1;
        }
        if let Some(walk) = self.snapshot.as_mut() {
            walk.cursor = cursor;
        }
        cursor >= self.slots.len()
    }

    pub fn snapshot_pending(&self) -> usize {
        self.snapshot.as_ref().map_or(0, |w| w.out.len())
    }

    /// Takes the serialized entries so far.
    pub fn take_snapshot_output(&mut self) -> bytes::BytesMut {
        self.snapshot
            .as_mut()
            .map(|w| w.out.split())
            .unwrap_or_default()
    }

    /// Ends the snapshot, marking whatever the walk did not reach as handled (without
    /// output), so the next snapshot starts from a consistent mark.
    pub fn finish_snapshot(&mut self) {
        let Some(walk) = self.snapshot.take() else {
            return;
        };
        for index in walk.cursor..self.slots.len() {
            if let Slot::Used(entry) = &mut self.slots[index] {
                entry.set_marked(self.mark);
            }
        }
    }

    pub fn snapshot_active(&self) -> bool {
        self.snapshot.is_some()
    }

    /// Serializes the entry in `slot` into the snapshot if the snapshot has not handled it:
    /// its value is still the one it had when the snapshot started.
    fn before_change(&mut self, slot: u32) {
        let Some(walk) = self.snapshot.as_mut() else {
            return;
        };
        let Slot::Used(entry) = &mut self.slots[slot as usize] else {
            return;
        };
        if entry.marked() == self.mark {
            return;
        }
        entry.set_marked(self.mark);
        if entry.expires_at == PERSISTENT || entry.expires_at > walk.started {
            super::replication::snapshot::write_entry(&mut walk.out, entry);
        }
    }

    /// A uniformly chosen used slot, or None when empty.
    pub fn random_slot(&self, rng: &mut impl Rng) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        // Free slots are rare unless many keys were deleted; past a few misses, walk from a
        // random start so a sparse array still answers in bounded time.
        for _ in 0..8 {
            let slot = rng.gen_range(0..self.slots.len());
            if matches!(self.slots[slot], Slot::Used(_)) {
                return Some(slot as u32);
            }
        }
        let start = rng.gen_range(0..self.slots.len());
        (start..self.slots.len())
            .chain(0..start)
            .find(|&slot| matches!(self.slots[slot], Slot::Used(_)))
            .map(|slot| slot as u32)
    }

    /// A uniformly chosen slot among the entries with an expiry.
    pub fn random_volatile_slot(&self, rng: &mut impl Rng) -> Option<u32> {
        if self.volatile.is_empty() {
            return None;
        }
        Some(self.volatile[rng.gen_range(0..self.volatile.len())])
    }

    /// Up to `count` used slots from `cursor` on, and the cursor to continue from (0: done).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<u32>) {
        let mut found = Vec::with_capacity(count.min(1024));
        let mut slot = cursor as usize;
        while slot < self.slots.len() && found.len() < count {
            if matches!(self.slots[slot], Slot::Used(_)) {
                found.push(slot as u32);
            }
            slot += 1;
        }
        let next = if slot >= self.slots.len() {
            0
        } else {
            slot as u64
        };
        (next, found)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().filter_map(|slot| match slot {
            Slot::Used(entry) => Some(entry),
            Slot::Free { .. } => None,
        })
    }

    /// Empties the keyspace. A snapshot in progress continues (over nothing): what it had
    /// not written out is gone, as the FLUSH in the stream after it says.
    pub fn clear(&mut self) {
        let (mark, snapshot) = (self.mark, self.snapshot.take());
        *self = Keyspace::default();
        self.mark = mark;
        self.snapshot = snapshot.map(|mut walk| {
            walk.cursor = 0;
            walk
        });
    }
}

fn slot_key(slots: &Slots<Slot>, slot: u32) -> &[u8] {
    match &slots[slot as usize] {
        Slot::Used(entry) => &entry.key,
        Slot::Free { .. } => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn string(s: &str) -> Value {
        Value::Str(SmallBytes::new(s.as_bytes()))
    }

    #[test]
    fn entries_are_compact() {
        assert_eq!(std::mem::size_of::<Slot>(), 64);
    }

    #[test]
    fn insert_get_remove_and_reuse_slots() {
        let mut keys = Keyspace::default();
        let a = keys.insert(b"a", string("1"), 0);
        keys.insert(b"b", string("2"), 0);
        assert_eq!(keys.len(), 2);
        assert!(keys.remove(b"a").is_some());
        assert!(keys.get(b"a").is_none());
        assert_eq!(
            keys.insert(b"c", string("3"), 0),
            a,
            "the freed slot is reused"
        );
        assert_eq!(keys.len(), 2);
        assert!(matches!(&keys.get(b"b").unwrap().value, Value::Str(v) if &**v == b"2"));
    }

    #[test]
    fn volatile_list_follows_expiry_changes() {
        let mut keys = Keyspace::default();
        let slots: Vec<u32> = (0..10)
            .map(|i| keys.insert(format!("k{i}").as_bytes(), string("v"), 0))
            .collect();
        slots.iter().for_each(|&s| keys.set_expiry(s, 1000));
        keys.set_expiry(slots[3], PERSISTENT);
        keys.remove(b"k0");
        assert_eq!(keys.volatile_len(), 8);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        for _ in 0..100 {
            let slot = keys.random_volatile_slot(&mut rng).unwrap();
            assert_eq!(keys.entry(slot).expires_at, 1000);
        }
    }

    #[test]
    fn scan_returns_every_key_that_stays() {
        let mut keys = Keyspace::default();
        for i in 0..100 {
            keys.insert(format!("k{i}").as_bytes(), string("v"), 0);
        }
        let (mut cursor, mut seen) = (0, 0);
        loop {
            let (next, found) = keys.scan(cursor, 7);
            seen += found.len();
            // Deleting and adding keys mid-scan must not hide the keys that stay.
            keys.remove(b"k99");
            keys.insert(b"new", string("v"), 0);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        assert!(seen >= 99);
    }

    #[test]
    fn the_grown_flag_survives_expiry_and_marks_but_not_a_new_value() {
        let mut keys = Keyspace::default();
        let slot = keys.insert(b"h", string("v"), 0);
        keys.entry_mut(slot).set_grown();
        keys.set_expiry(slot, 1000);
        keys.entry_mut(slot).set_marked(true);
        let entry = keys.entry(slot);
        assert!(entry.grown() && entry.marked() && entry.pos() != NO_POS);
        keys.set_expiry(slot, PERSISTENT);
        keys.entry_mut(slot).set_marked(false);
        assert!(keys.entry(slot).grown());
        assert_eq!(keys.entry(slot).pos(), NO_POS);
        keys.insert(b"h", string("w"), 0);
        assert!(!keys.entry(slot).grown());
    }
}
