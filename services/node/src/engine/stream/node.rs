//! A node of a stream: up to 100 entries packed in one buffer, as Redis packs them in a
//! listpack. Each entry is a flags byte (deleted, same fields as the node's first entry),
//! the ID as varints (milliseconds after the node's first ID, then the sequence), and the
//! fields as length-prefixed bytes; an entry with the first entry's field names stores only
//! its values. A deleted entry keeps its place, as in Redis, until the node goes.

use super::id::StreamId;
use super::listpack;
use crate::engine::small_bytes::SmallBytes;

const DELETED: u8 = 1;
const SAME_FIELDS: u8 = 2;

#[derive(Debug, Clone)]
pub(super) struct Node {
    /// Entries present.
    pub live: u32,
    /// Entries present or deleted.
    pub total: u32,
    /// The node's listpack size in Redis's encoding (when Redis would start a new node).
    pub bytes: usize,
    /// The last ID appended to the node.
    pub last: StreamId,
    master_id: StreamId,
    /// The field names of its first entry.
    master: Box<[SmallBytes]>,
    data: Vec<u8>,
}

/// An entry's fields, read in place: field, value, field, value...
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    names: Option<&'a [SmallBytes]>,
    data: &'a [u8],
    pairs: usize,
}

impl<'a> Fields<'a> {
    /// Fields and values counted apart.
    pub fn len(&self) -> usize {
        self.pairs * 2
    }

    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> {
        let (names, mut data) = (self.names, self.data);
        (0..self.len()).map(move |i| match names {
            Some(names) if i % 2 == 0 => names[i / 2].as_slice(),
            _ => {
                let (len, rest) = varint(data);
                let (item, rest) = rest.split_at(len as usize);
                data = rest;
                item
            }
        })
    }
}

impl Node {
    /// A node whose first entry is `id`.
    pub fn new<B: std::ops::Deref<Target = [u8]>>(id: StreamId, fields: &[B]) -> Node {
        let mut node = Node {
            live: 0,
            total: 0,
            bytes: listpack::master(fields),
            last: id,
            master_id: id,
            master: fields
                .iter()
                .step_by(2)
                .map(|f| SmallBytes::new(f))
                .collect(),
            data: Vec::new(),
        };
        node.push(id, fields);
        node
    }

    /// Whether Redis would append `fields` here rather than start a new node.
    pub fn fits(&self, raw_len: usize, max_bytes: usize, max_entries: u32) -> bool {
        self.bytes + raw_len < max_bytes && self.total < max_entries
    }

    pub fn push<B: std::ops::Deref<Target = [u8]>>(&mut self, id: StreamId, fields: &[B]) {
        let same = self.master.len() * 2 == fields.len()
            && self
                .master
                .iter()
                .zip(fields.iter().step_by(2))
                .all(|(a, b)| a.as_slice() == &b[..]);
        self.bytes += listpack::entry(fields, id, self.master_id, same);
        self.data.push(if same { SAME_FIELDS } else { 0 });
        put_varint(&mut self.data, id.ms - self.master_id.ms);
        put_varint(&mut self.data, id.seq);
        if !same {
            put_varint(&mut self.data, (fields.len() / 2) as u64);
        }
        for (i, field) in fields.iter().enumerate() {
            if same && i % 2 == 0 {
                continue;
            }
            put_varint(&mut self.data, field.len() as u64);
            self.data.extend_from_slice(field);
        }
        self.live += 1;
        self.total += 1;
        self.last = id;
    }

    /// Gives back the buffer's spare room once no more entries will come.
    pub fn seal(&mut self) {
        self.data.shrink_to_fit();
    }

    pub fn heap_size(&self) -> usize {
        self.data.capacity()
            + self
                .master
                .iter()
                .map(|m| 24 + m.heap_size())
                .sum::<usize>()
    }

    /// Every entry, deleted ones included: (where its flags are, ID, deleted, fields).
    fn all(&self) -> impl Iterator<Item = (usize, StreamId, bool, Fields<'_>)> {
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= self.data.len() {
                return None;
            }
            let start = at;
            let flags = self.data[at];
            let rest = &self.data[at + 1..];
            let (ms, rest) = varint(rest);
            let (seq, rest) = varint(rest);
            let same = flags & SAME_FIELDS != 0;
            let (pairs, mut rest) = if same {
                (self.master.len() as u64, rest)
            } else {
                varint(rest)
            };
            let body = rest;
            let stored = if same { pairs } else { pairs * 2 };
            for _ in 0..stored {
                let (len, after) = varint(rest);
                rest = &after[len as usize..];
            }
            let fields = Fields {
                names: same.then_some(&self.master[..]),
                data: &body[..body.len() - rest.len()],
                pairs: pairs as usize,
            };
            at = self.data.len() - rest.len();
            let id = StreamId::new(self.master_id.ms + ms, seq);
            Some((start, id, flags & DELETED != 0, fields))
        })
    }

    /// The entries present, in ID order.
    pub fn entries(&self) -> impl Iterator<Item = (StreamId, Fields<'_>)> {
        self.all()
            .filter(|(_, _, deleted, _)| !deleted)
            .map(|(_, id, _, f)| (id, f))
    }

    pub fn get(&self, id: StreamId) -> Option<Fields<'_>> {
        self.entries().find(|(i, _)| *i == id).map(|(_, f)| f)
    }

    /// Marks `id` deleted: whether it was present.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let at = self
            .all()
            .find(|(_, i, deleted, _)| *i == id && !deleted)
            .map(|(at, ..)| at);
        let Some(at) = at else {
            return false;
        };
        self.data[at] |= DELETED;
        self.live = self.live.saturating_sub(1);
        true
    }

    /// Deletes entries from the first while `go(id)` holds: how many.
    pub fn delete_from_head(&mut self, mut go: impl FnMut(StreamId) -> bool) -> u32 {
        let marks: Vec<usize> = self
            .all()
            .filter(|(_, _, deleted, _)| !deleted)
            .take_while(|(_, id, _, _)| go(*id))
            .map(|(at, ..)| at)
            .collect();
        for &at in &marks {
            self.data[at] |= DELETED;
        }
        self.live = self.live.saturating_sub(marks.len() as u32);
        marks.len() as u32
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a varint this module wrote.
fn varint(data: &[u8]) -> (u64, &[u8]) {
    let mut value = 0u64;
    for (i, &byte) in data.iter().enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, &data[i + 1..]);
        }
    }
    (value, &[])
}
