//! Stream entry IDs (`<ms>-<seq>`), parsed as Redis's `streamGenericParseIDOrReply` does.

use std::fmt;

use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

/// How an ID argument was written: XADD accepts `<ms>-*`, asking for the next sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    Id(StreamId),
    /// `<ms>-*`: the sequence is chosen by the stream.
    AutoSeq(u64),
}

pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    /// The next ID, or None after the last possible one.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID, or None before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::ZERO
    }

    pub fn to_bytes(self) -> Bytes {
        Bytes::from(self.to_string())
    }

    /// An ID; `-` and `+` (unless `strict`) are the smallest and largest IDs, and a bare
    /// `<ms>` takes `missing_seq` as its sequence. `<ms>-*` only if `allow_auto`.
    pub fn parse_full(
        arg: &[u8],
        missing_seq: u64,
        strict: bool,
        allow_auto: bool,
    ) -> Option<Parsed> {
        if arg.len() > 127 {
            return None;
        }
        if !strict && arg == b"-" {
            return Some(Parsed::Id(StreamId::ZERO));
        }
        if !strict && arg == b"+" {
            return Some(Parsed::Id(StreamId::MAX));
        }
        let Some(dash) = arg.iter().position(|&b| b == b'-') else {
            return Some(Parsed::Id(StreamId::new(parse_u64(arg)?, missing_seq)));
        };
        let ms = parse_u64(&arg[..dash])?;
        let seq = &arg[dash + 1..];
        if allow_auto && seq == b"*" {
            return Some(Parsed::AutoSeq(ms));
        }
        Some(Parsed::Id(StreamId::new(ms, parse_u64(seq)?)))
    }

    /// `-`, `+`, `<ms>` or `<ms>-<seq>`.
    pub fn parse(arg: &[u8], missing_seq: u64) -> Option<StreamId> {
        match Self::parse_full(arg, missing_seq, false, false)? {
            Parsed::Id(id) => Some(id),
            Parsed::AutoSeq(_) => None,
        }
    }

    /// `<ms>` or `<ms>-<seq>` (no `-` or `+`).
    pub fn parse_strict(arg: &[u8], missing_seq: u64) -> Option<StreamId> {
        match Self::parse_full(arg, missing_seq, true, false)? {
            Parsed::Id(id) => Some(id),
            Parsed::AutoSeq(_) => None,
        }
    }
}

/// An unsigned 64-bit decimal as `strtoull` reads it for Redis (digits, an optional `+`).
fn parse_u64(text: &[u8]) -> Option<u64> {
    let digits = text.strip_prefix(b"+").unwrap_or(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}
