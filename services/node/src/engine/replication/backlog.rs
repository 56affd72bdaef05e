//! The replication backlog: the last `capacity` bytes of the stream, so a replica that missed
//! some can resume from where it stopped (partial resync) instead of copying everything.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use rg_proto::Offset;

#[derive(Debug)]
pub struct Backlog {
    capacity: usize,
    /// Pieces of the stream in order; the first starts at `start`.
    pieces: VecDeque<Bytes>,
    start: Offset,
    len: usize,
}

impl Backlog {
    pub fn new(capacity: usize) -> Self {
        Backlog {
            capacity,
            pieces: VecDeque::new(),
            start: Offset(0),
            len: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The offset of the first byte held.
    pub fn start(&self) -> Offset {
        self.start
    }

    /// Appends the stream bytes that begin at `at` (the current end).
    pub fn push(&mut self, at: Offset, bytes: Bytes) {
        if self.pieces.is_empty() {
            self.start = at;
        }
        self.len += bytes.len();
        self.pieces.push_back(bytes);
        while self.len > self.capacity && self.pieces.len() > 1 {
            if let Some(dropped) = self.pieces.pop_front() {
                self.len -= dropped.len();
                self.start = self.start.advance(dropped.len());
            }
        }
    }

    /// Forgets everything; the next byte will be at `at`.
    pub fn reset(&mut self, at: Offset) {
        self.pieces.clear();
        self.len = 0;
        self.start = at;
    }

    /// The bytes from `from` to the end, if the backlog still holds `from`.
    pub fn since(&self, from: Offset) -> Option<Bytes> {
        let end = self.start.advance(self.len);
        if from < self.start || from > end {
            return None;
        }
        let mut skip = (from.0 - self.start.0) as usize;
        let mut out = BytesMut::with_capacity((end.0 - from.0) as usize);
        for piece in &self.pieces {
            if skip >= piece.len() {
                skip -= piece.len();
                continue;
            }
            out.extend_from_slice(&piece[skip..]);
            skip = 0;
        }
        Some(out.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_tail_and_serves_from_any_offset_it_holds() {
        let mut backlog = Backlog::new(10);
        backlog.push(Offset(0), Bytes::from_static(b"abcd"));
        backlog.push(Offset(4), Bytes::from_static(b"efgh"));
        backlog.push(Offset(8), Bytes::from_static(b"ijkl"));
        assert_eq!(backlog.start(), Offset(4));
        assert_eq!(backlog.since(Offset(6)).unwrap(), &b"ghijkl"[..]);
        assert_eq!(backlog.since(Offset(12)).unwrap(), &b""[..]);
        assert!(backlog.since(Offset(2)).is_none(), "trimmed away");
        assert!(backlog.since(Offset(13)).is_none(), "not written yet");
    }
}
