//! The slot array, in fixed-size chunks: growing it never copies or frees the entries already
//! stored. A plain `Vec` doubles, which copies every entry once per doubling (a latency spike
//! of tens of milliseconds at a million keys) and leaves the old halves allocated in the
//! allocator's cache, so RSS ran at twice the data; chunks cost one extra indirection.

use std::ops::{Index, IndexMut};

/// Entries per chunk: 4096 slots of 64 bytes, 256 KiB.
const CHUNK: usize = 4096;

#[derive(Debug)]
pub struct Slots<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slots<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn push(&mut self, value: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(value);
            self.len += 1;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> Index<usize> for Slots<T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK][index % CHUNK]
    }
}

impl<T> IndexMut<usize> for Slots<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index / CHUNK][index % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_across_chunks() {
        let mut slots = Slots::default();
        for i in 0..(3 * CHUNK + 5) {
            slots.push(i);
        }
        assert_eq!(slots.len(), 3 * CHUNK + 5);
        assert_eq!(slots[CHUNK], CHUNK);
        assert_eq!(slots[3 * CHUNK + 4], 3 * CHUNK + 4);
        slots[7] = 70;
        assert_eq!(slots.iter().nth(7), Some(&70));
        assert_eq!(slots.iter().count(), 3 * CHUNK + 5);
    }
}
