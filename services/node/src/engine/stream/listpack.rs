//! The sizes of Redis's listpack encoding, to know when Redis would start a new stream node
//! (`streamAppendItem`: when the node's bytes plus the new fields' reach
//! `stream-node-max-bytes`, or it holds `stream-node-max-entries` entries).

use std::ops::Deref;

use super::id::StreamId;

/// The header (total bytes, element count) and the end byte.
pub const EMPTY: usize = 7;

/// One listpack element holding an integer: its encoding and its back-length byte.
pub fn int(value: i64) -> usize {
    let encoded = match value {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    encoded + 1
}

/// One listpack element holding a string (stored as an integer when it reads as one).
pub fn string(bytes: &[u8]) -> usize {
    if bytes.len() <= 20 {
        if let Some(value) = crate::commands::args::parse_int(bytes) {
            return int(value);
        }
    }
    let len = bytes.len();
    let encoded = len
        + match len {
            0..=63 => 1,
            64..=4095 => 2,
            _ => 5,
        };
    encoded + backlen(encoded)
}

fn backlen(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        2_097_152..=268_435_455 => 4,
        _ => 5,
    }
}

/// A new node's bytes without its first entry: the master entry (count, deleted, the
/// number of fields, the fields, a terminator).
pub fn master<B: Deref<Target = [u8]>>(fields: &[B]) -> usize {
    let names: usize = fields.iter().step_by(2).map(|f| string(f)).sum();
    EMPTY + int(1) + int(0) + int((fields.len() / 2) as i64) + names + int(0)
}

/// One entry's bytes in a node whose master has `master_fields` and ID `master_id`.
pub fn entry<B: Deref<Target = [u8]>>(
    fields: &[B],
    id: StreamId,
    master_id: StreamId,
    same_fields: bool,
) -> usize {
    let ms = id.ms.wrapping_sub(master_id.ms) as i64;
    let seq = id.seq.wrapping_sub(master_id.seq) as i64;
    let pairs = (fields.len() / 2) as i64;
    let values: usize = fields.iter().skip(1).step_by(2).map(|v| string(v)).sum();
    let mut size = int(2) + int(ms) + int(seq) + values;
    let mut count = pairs + 3;
    if !same_fields {
        size += int(pairs) + fields.iter().step_by(2).map(|f| string(f)).sum::<usize>();
        count += pairs + 1;
    }
    size + int(count)
}
