//! The ordered side of a sorted set: entries sorted by (score, member) in a list of short
//! sorted chunks, with a Fenwick tree over the chunks' lengths for access by rank.
//!
//! Chunks hold between about `LOAD / 2` and `2 * LOAD` entries, so an insert or a removal
//! moves at most a few kilobytes, finding an entry is two binary searches, and the position
//! of an entry (ZRANK) or the entry at a position (ZRANGE by rank) costs O(log n). This is
//! the layout of Python's `sortedcontainers`: contiguous memory iterates fast and costs
//! less per entry than a tree's nodes.

use std::cmp::Ordering;

use super::Score;
use crate::engine::small_bytes::SmallBytes;

/// A chunk splits when it grows past `2 * LOAD` entries and merges with a neighbour when it
/// shrinks below `LOAD / 2`.
const LOAD: usize = 128;

pub type Entry = (Score, SmallBytes);

/// Orders an entry against a (score, member) key.
fn compare(entry: &Entry, score: Score, member: &[u8]) -> Ordering {
    entry
        .0
        .cmp(&score)
        .then_with(|| entry.1.as_slice().cmp(member))
}

#[derive(Debug, Clone, Default)]
pub struct Ranked {
    /// Non-empty sorted chunks whose concatenation is sorted.
    chunks: Vec<Vec<Entry>>,
    lengths: Fenwick,
    len: usize,
}

impl Ranked {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.chunks.iter().flatten()
    }

    /// Entries from ascending position `pos` on.
    pub fn iter_from(&self, pos: usize) -> impl Iterator<Item = &Entry> {
        let (first, rest): (&[Entry], &[Vec<Entry>]) = if pos < self.len {
            let (chunk, offset) = self.locate(pos);
            (&self.chunks[chunk][offset..], &self.chunks[chunk + 1..])
        } else {
            (&[], &[])
        };
        first.iter().chain(rest.iter().flatten())
    }

    /// Entries from ascending position `pos` down to the first one.
    pub fn iter_rev_from(&self, pos: usize) -> impl Iterator<Item = &Entry> {
        let (first, rest): (&[Entry], &[Vec<Entry>]) = if pos < self.len {
            let (chunk, offset) = self.locate(pos);
            (&self.chunks[chunk][..=offset], &self.chunks[..chunk])
        } else {
            (&[], &[])
        };
        first
            .iter()
            .rev()
            .chain(rest.iter().rev().flat_map(|c| c.iter().rev()))
    }

    /// The number of entries before the first one for which `below` is false, `below` being
    /// true for a prefix of the entries.
    pub fn partition_point(&self, below: impl Fn(&Entry) -> bool) -> usize {
        let chunk = self
            .chunks
            .partition_point(|c| c.last().is_some_and(&below));
        match self.chunks.get(chunk) {
            Some(c) => self.lengths.prefix(chunk) + c.partition_point(&below),
            None => self.len,
        }
    }

    /// The ascending position of an entry.
    pub fn position(&self, score: Score, member: &[u8]) -> Option<usize> {
        let chunk = self.chunk_for(score, member);
        let offset = self
            .chunks
            .get(chunk)?
            .binary_search_by(|e| compare(e, score, member));
        offset
            .ok()
            .map(|offset| self.lengths.prefix(chunk) + offset)
    }

    pub fn insert(&mut self, score: Score, member: SmallBytes) {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::new());
            self.lengths = Fenwick::build(&self.chunks);
        }
        let index = self.chunk_for(score, &member);
        let chunk = &mut self.chunks[index];
        let offset = chunk.partition_point(|e| compare(e, score, &member) == Ordering::Less);
        chunk.insert(offset, (score, member));
        self.len += 1;
        if chunk.len() > 2 * LOAD {
            let tail = chunk.split_off(chunk.len() / 2);
            self.chunks.insert(index + 1, tail);
            self.lengths = Fenwick::build(&self.chunks);
        } else {
            self.lengths.add(index, 1);
        }
    }

    pub fn remove(&mut self, score: Score, member: &[u8]) -> bool {
        let index = self.chunk_for(score, member);
        let Some(chunk) = self.chunks.get_mut(index) else {
            return false;
        };
        let Ok(offset) = chunk.binary_search_by(|e| compare(e, score, member)) else {
            return false;
        };
        chunk.remove(offset);
        self.len -= 1;
        self.shrunk(index, 1);
        true
    }

    /// Removes and returns the entries at ascending positions `start..end`.
    pub fn drain(&mut self, start: usize, end: usize) -> Vec<Entry> {
        let end = end.min(self.len);
        if start >= end {
            return Vec::new();
        }
        let (first, from) = self.locate(start);
        let (last, to) = self.locate(end - 1);
        if first == last {
            // The common case (pops, short ranges): one chunk, no rebuild unless it merges.
            let out: Vec<Entry> = self.chunks[first].drain(from..=to).collect();
            self.len -= out.len();
            self.shrunk(first, out.len());
            return out;
        }
        let mut out = Vec::with_capacity(end - start);
        for index in first..=last {
            let chunk = &mut self.chunks[index];
            let lo = if index == first { from } else { 0 };
            let hi = if index == last { to + 1 } else { chunk.len() };
            out.extend(chunk.drain(lo..hi));
        }
        self.len -= out.len();
        self.chunks.retain(|c| !c.is_empty());
        // Only the chunks at the edges of the range can be left short; the higher one goes
        // first so that its merge does not move the lower one.
        self.merge_small(first + 1);
        self.merge_small(first);
        self.lengths = Fenwick::build(&self.chunks);
        out
    }

    /// The chunk where (score, member) is or would go: the first whose last entry is not
    /// below it, or the last chunk.
    fn chunk_for(&self, score: Score, member: &[u8]) -> usize {
        let index = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|e| compare(e, score, member).is_lt()));
        index.min(self.chunks.len().saturating_sub(1))
    }

    /// (chunk, offset) of ascending position `pos`, which must be below `len`.
    fn locate(&self, pos: usize) -> (usize, usize) {
        self.lengths.find(pos)
    }

    /// Accounts for `removed` entries taken from chunk `index`: merges the chunk away if it
    /// became short, else updates its length.
    fn shrunk(&mut self, index: usize, removed: usize) {
        let chunk = &self.chunks[index];
        if chunk.is_empty() || (chunk.len() < LOAD / 2 && self.chunks.len() > 1) {
            self.merge_small(index);
            self.lengths = Fenwick::build(&self.chunks);
        } else {
            self.lengths.add(index, -(removed as isize));
        }
    }

    /// Merges chunk `index` with a neighbour if it is short (or drops it when empty). The
    /// caller rebuilds the lengths.
    fn merge_small(&mut self, index: usize) {
        let short = self.chunks.get(index).is_some_and(|c| c.len() < LOAD / 2);
        if short && self.chunks.len() > 1 {
            let (into, from) = if index > 0 {
                (index - 1, index)
            } else {
                (0, 1)
            };
            let moved = self.chunks.remove(from);
            let target = &mut self.chunks[into];
            target.extend(moved);
            if target.len() > 2 * LOAD {
                let tail = target.split_off(target.len() / 2);
                self.chunks.insert(into + 1, tail);
            }
        } else if self.chunks.get(index).is_some_and(Vec::is_empty) {
            self.chunks.remove(index);
        }
    }
}

/// Prefix sums of the chunks' lengths (a binary indexed tree, 1-based inside).
#[derive(Debug, Clone, Default)]
struct Fenwick {
    tree: Vec<usize>,
}

impl Fenwick {
    fn build(chunks: &[Vec<Entry>]) -> Self {
        let mut tree = vec![0; chunks.len() + 1];
        for (i, chunk) in chunks.iter().enumerate() {
            let node = i + 1;
            tree[node] += chunk.len();
            let parent = node + lowest_bit(node);
            if parent < tree.len() {
                tree[parent] += tree[node];
            }
        }
        Fenwick { tree }
    }

    /// Adds `delta` to chunk `index`'s length.
    fn add(&mut self, index: usize, delta: isize) {
        let mut node = index + 1;
        while node < self.tree.len() {
            self.tree[node] = self.tree[node].wrapping_add_signed(delta);
            node += lowest_bit(node);
        }
    }

    /// The total length of chunks `0..index`.
    fn prefix(&self, index: usize) -> usize {
        let mut node = index.min(self.tree.len().saturating_sub(1));
        let mut sum = 0;
        while node > 0 {
            sum += self.tree[node];
            node -= lowest_bit(node);
        }
        sum
    }

    /// The chunk holding position `pos`, and the offset in it.
    fn find(&self, pos: usize) -> (usize, usize) {
        let n = self.tree.len().saturating_sub(1);
        let mut node = 0;
        let mut rest = pos;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            if node + step <= n && self.tree[node + step] <= rest {
                node += step;
                rest -= self.tree[node];
            }
            step >>= 1;
        }
        (node, rest)
    }
}

fn lowest_bit(node: usize) -> usize {
    node & node.wrapping_neg()
}
