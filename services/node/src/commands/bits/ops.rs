//! Bits of a string, numbered as Redis numbers them: bit 0 is the most significant bit of
//! the first byte (<https://redis.io/commands/setbit/>). Pure functions, no engine.

/// Whether BITCOUNT / BITPOS ranges count bytes or bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Byte,
    Bit,
}

/// The bit at `offset`; bits past the end are 0.
pub fn get_bit(bytes: &[u8], offset: u64) -> bool {
    let Ok(byte) = usize::try_from(offset >> 3) else {
        return false;
    };
    bytes
        .get(byte)
        .is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

/// Sets the bit at `offset` (which must be inside `bytes`) and returns its old value.
pub fn set_bit(bytes: &mut [u8], offset: u64, on: bool) -> bool {
    let (byte, mask) = ((offset >> 3) as usize, 0x80u8 >> (offset & 7));
    let old = bytes[byte] & mask != 0;
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
    old
}

/// An inclusive range of bit offsets inside a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitRange {
    pub first: u64,
    pub last: u64,
}

impl BitRange {
    /// The whole of a string of `len` bytes; None when it is empty.
    pub fn whole(len: usize) -> Option<BitRange> {
        BitRange::resolve(len, 0, -1, Unit::Byte)
    }

    /// `start` and `end` (inclusive, negative counting from the end, in `unit`s) clamped to a
    /// string of `len` bytes as BITCOUNT and BITPOS clamp them; None when nothing is left.
    pub fn resolve(len: usize, start: i64, end: i64, unit: Unit) -> Option<BitRange> {
        let total = match unit {
            Unit::Byte => len as i64,
            Unit::Bit => (len as i64) * 8,
        };
        let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
        let (start, end) = (from_end(start), from_end(end).min(total - 1));
        if start > end {
            return None;
        }
        let (start, end) = (start as u64, end as u64);
        Some(match unit {
            Unit::Byte => BitRange {
                first: start * 8,
                last: end * 8 + 7,
            },
            Unit::Bit => BitRange {
                first: start,
                last: end,
            },
        })
    }

    fn bytes(self) -> (usize, usize) {
        ((self.first >> 3) as usize, (self.last >> 3) as usize)
    }

    /// The bits of the first byte before the range, as a mask.
    fn head_outside(self) -> u8 {
        !(0xFFu8 >> (self.first & 7))
    }

    /// The bits of the last byte after the range, as a mask.
    fn tail_outside(self) -> u8 {
        (1u8 << (7 - (self.last & 7))) - 1
    }
}

/// How many bits are set in `range` (which must be inside `bytes`).
pub fn count(bytes: &[u8], range: BitRange) -> u64 {
    let (first, last) = range.bytes();
    let all: u64 = popcount(&bytes[first..=last]);
    let head = (bytes[first] & range.head_outside()).count_ones();
    let tail = (bytes[last] & range.tail_outside()).count_ones();
    all - u64::from(head + tail)
}

fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut total: u64 = chunks
        .by_ref()
        .map(|c| u64::from(u64::from_ne_bytes(c.try_into().unwrap_or_default()).count_ones()))
        .sum();
    total += chunks
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum::<u64>();
    total
}

/// The offset of the first bit equal to `bit` in `range` (which must be inside `bytes`).
pub fn position(bytes: &[u8], bit: bool, range: BitRange) -> Option<u64> {
    let (first, last) = range.bytes();
    // Bits outside the range are made the opposite of what is searched for, and a byte of
    // nothing but those is skipped.
    let (skip, outside) = if bit { (0x00, 0x00) } else { (0xFF, 0xFF) };
    let masked = |i: usize| {
        let mut mask = 0;
        if i == first {
            mask |= range.head_outside();
        }
        if i == last {
            mask |= range.tail_outside();
        }
        (bytes[i] & !mask) | (outside & mask)
    };
    let found = std::iter::once(first)
        .chain((first + 1..last).filter(|&i| bytes[i] != skip).take(1))
        .chain((last > first).then_some(last))
        .find(|&i| masked(i) != skip)?;
    let byte = masked(found);
    let within = if bit {
        byte.leading_zeros()
    } else {
        byte.leading_ones()
    };
    Some(found as u64 * 8 + u64::from(within))
}

/// BITOP's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// The result of `op` over `sources`, as long as the longest (shorter ones are zero-padded).
/// NOT takes one source.
pub fn bitop(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| {
            let mut bytes = sources.iter().map(|s| at(s, i));
            let first = bytes.next().unwrap_or(0);
            match op {
                BitOp::And => bytes.fold(first, |acc, b| acc & b),
                BitOp::Or => bytes.fold(first, |acc, b| acc | b),
                BitOp::Xor => bytes.fold(first, |acc, b| acc ^ b),
                BitOp::Not => !first,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_count(bytes: &[u8], range: BitRange) -> u64 {
        (range.first..=range.last)
            .filter(|&o| get_bit(bytes, o))
            .count() as u64
    }

    fn naive_position(bytes: &[u8], bit: bool, range: BitRange) -> Option<u64> {
        (range.first..=range.last).find(|&o| get_bit(bytes, o) == bit)
    }

    #[test]
    fn bit_zero_is_the_top_bit_of_the_first_byte() {
        let mut bytes = vec![0u8; 2];
        assert!(!set_bit(&mut bytes, 0, true));
        assert!(!set_bit(&mut bytes, 15, true));
        assert_eq!(bytes, [0x80, 0x01]);
        assert!(set_bit(&mut bytes, 0, false));
        assert_eq!(bytes, [0x00, 0x01]);
        assert!(get_bit(&bytes, 15));
        assert!(!get_bit(&bytes, 16), "past the end is 0");
        assert!(!get_bit(&bytes, u64::MAX));
    }

    #[test]
    fn ranges_clamp_like_bitcount() {
        assert_eq!(BitRange::resolve(0, 0, -1, Unit::Byte), None);
        assert_eq!(
            BitRange::resolve(3, 1, -1, Unit::Byte),
            Some(BitRange { first: 8, last: 23 })
        );
        assert_eq!(
            BitRange::resolve(3, -100, 100, Unit::Bit),
            Some(BitRange { first: 0, last: 23 })
        );
        assert_eq!(
            BitRange::resolve(3, 5, 2, Unit::Bit),
            None,
            "start after end"
        );
        assert_eq!(
            BitRange::resolve(2, i64::MIN, i64::MAX, Unit::Bit),
            Some(BitRange { first: 0, last: 15 })
        );
    }

    #[test]
    fn count_and_position_agree_with_a_bit_by_bit_scan() {
        let bytes = [
            0xF0, 0x00, 0x00, 0x0F, 0xFF, 0x81, 0x00, 0x00, 0x00, 0x00, 0x01,
        ];
        for first in 0..bytes.len() as u64 * 8 {
            for last in first..bytes.len() as u64 * 8 {
                let range = BitRange { first, last };
                assert_eq!(
                    count(&bytes, range),
                    naive_count(&bytes, range),
                    "{range:?}"
                );
                for bit in [false, true] {
                    assert_eq!(
                        position(&bytes, bit, range),
                        naive_position(&bytes, bit, range),
                        "{bit} in {range:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn bitop_pads_short_sources_with_zeros() {
        let (a, b): (&[u8], &[u8]) = (&[0xFF, 0x0F], &[0xF0]);
        assert_eq!(bitop(BitOp::And, &[a, b]), [0xF0, 0x00]);
        assert_eq!(bitop(BitOp::Or, &[a, b]), [0xFF, 0x0F]);
        assert_eq!(bitop(BitOp::Xor, &[a, b]), [0x0F, 0x0F]);
        assert_eq!(bitop(BitOp::Not, &[b]), [0x0F]);
        assert_eq!(bitop(BitOp::And, &[a, &[]]), [0, 0]);
        assert!(bitop(BitOp::Or, &[&[], &[]]).is_empty());
    }
}
