//! The layout of a HyperLogLog string, byte for byte Redis's (`hyperloglog.c`): a 16-byte
//! header, `"HYLL"`, the encoding (0 dense, 1 sparse), three unused bytes and the cached
//! cardinality as 8 little-endian bytes whose top bit, when set, marks the cache stale;
//! then the registers.

/// Registers are addressed by the low 14 bits of an element's hash.
pub const P: u32 = 14;
pub const REGISTERS: usize = 1 << P;
/// The bits of the hash left to count leading zeros in.
pub const Q: u32 = 64 - P;
pub const HEADER_LEN: usize = 16;
/// Six bits per register.
pub const DENSE_LEN: usize = HEADER_LEN + (REGISTERS * 6).div_ceil(8);
/// Redis's default `hll-sparse-max-bytes`: a sparse string that would grow past it turns dense.
pub const SPARSE_MAX_BYTES: usize = 3000;

const MAGIC: &[u8; 4] = b"HYLL";
const ENCODING: usize = 4;
const CARD: std::ops::Range<usize> = 8..16;
const STALE: u8 = 0x80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// Why a string cannot be used as a HyperLogLog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HllError {
    /// Not a HyperLogLog at all: no header, another encoding, a dense string of the wrong size.
    #[error("WRONGTYPE Key is not a valid HyperLogLog string value.")]
    NotHll,
    /// The header is right but the registers do not add up.
    #[error("INVALIDOBJ Corrupted HLL object detected")]
    Corrupted,
}

/// Redis's `isHLLObjectOrReply`: the header is a HyperLogLog's and a dense string has the
/// exact size. Sparse registers are checked only as they are read.
pub fn check(bytes: &[u8]) -> Result<Encoding, HllError> {
    if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
        return Err(HllError::NotHll);
    }
    match bytes[ENCODING] {
        0 if bytes.len() == DENSE_LEN => Ok(Encoding::Dense),
        1 => Ok(Encoding::Sparse),
        _ => Err(HllError::NotHll),
    }
}

/// The header with every byte zero but the magic and `encoding`.
pub fn header(encoding: Encoding) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[ENCODING] = match encoding {
        Encoding::Dense => 0,
        Encoding::Sparse => 1,
    };
    header
}

pub fn set_encoding(bytes: &mut [u8], encoding: Encoding) {
    bytes[ENCODING] = header(encoding)[ENCODING];
}

/// The cached cardinality, unless stale.
pub fn cached(bytes: &[u8]) -> Option<u64> {
    let card: [u8; 8] = bytes.get(CARD)?.try_into().ok()?;
    (card[7] & STALE == 0).then(|| u64::from_le_bytes(card))
}

pub fn store_cache(bytes: &mut [u8], cardinality: u64) {
    bytes[CARD].copy_from_slice(&cardinality.to_le_bytes());
}

pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[CARD.end - 1] |= STALE;
}

/// The register an element goes to and the value it offers there: one more than the
/// number of trailing zeros of the rest of its hash (at most `Q + 1`).
pub fn register_for(element: &[u8]) -> (usize, u8) {
    let hash = super::murmur::murmur64a(element, 0xadc8_3b19);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_land_where_redis_puts_them() {
        // From redis-server 7.0.15: PFADD h a, then PFDEBUG GETREG h.
        assert_eq!(register_for(b"a"), (12711, 2));
        assert_eq!(register_for(b"hello"), (9216, 1));
    }

    #[test]
    fn headers_are_checked_like_redis() {
        let sparse = header(Encoding::Sparse);
        assert_eq!(check(&sparse), Ok(Encoding::Sparse));
        assert_eq!(check(&sparse[..15]), Err(HllError::NotHll));
        let mut dense = vec![0u8; DENSE_LEN];
        dense[..HEADER_LEN].copy_from_slice(&header(Encoding::Dense));
        assert_eq!(check(&dense), Ok(Encoding::Dense));
        assert_eq!(check(&dense[..DENSE_LEN - 1]), Err(HllError::NotHll));
        let mut raw = sparse;
        raw[ENCODING] = 2;
        assert_eq!(check(&raw), Err(HllError::NotHll));
        assert_eq!(
            check(b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0"),
            Err(HllError::NotHll)
        );
    }

    #[test]
    fn the_cache_is_stale_once_invalidated() {
        let mut bytes = header(Encoding::Sparse);
        assert_eq!(cached(&bytes), Some(0));
        store_cache(&mut bytes, 1234);
        assert_eq!(cached(&bytes), Some(1234));
        invalidate_cache(&mut bytes);
        assert_eq!(cached(&bytes), None);
    }
}
