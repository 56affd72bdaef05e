//! MurmurHash64A (Austin Appleby's, public domain), the hash Redis's HyperLogLog uses, reading
//! the input as little-endian words on every platform as Redis does.

const M: u64 = 0xc6a4_a793_5bd1_e995;
const R: u32 = 47;

pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for word in words.by_ref() {
        let mut k = u64::from_le_bytes(word.try_into().unwrap_or_default());
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let k = tail
            .iter()
            .rev()
            .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
        h ^= k;
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_of_every_length_hash_differently() {
        let data = b"0123456789abcdef";
        let hashes: std::collections::HashSet<u64> =
            (0..=data.len()).map(|n| murmur64a(&data[..n], 7)).collect();
        assert_eq!(hashes.len(), data.len() + 1);
        assert_ne!(murmur64a(b"a", 1), murmur64a(b"a", 2), "the seed matters");
    }
}
