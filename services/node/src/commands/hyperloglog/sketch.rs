//! A HyperLogLog string of either encoding: adding, reading and merging registers, turning
//! sparse into dense, counting. Works on the stored bytes directly.

use super::header::{self, Encoding, HllError, DENSE_LEN, HEADER_LEN, REGISTERS, SPARSE_MAX_BYTES};
use super::{dense, estimate, sparse};

/// The string of an empty HyperLogLog (sparse, cardinality 0 cached).
pub fn empty() -> Vec<u8> {
    sparse::empty(header::header(Encoding::Sparse))
}

/// Adds one element; whether a register changed.
pub fn add(bytes: &mut Vec<u8>, element: &[u8]) -> Result<bool, HllError> {
    add_within(bytes, element, SPARSE_MAX_BYTES)
}

/// [`add`], turning dense past `max_bytes` of sparse string (`hll-sparse-max-bytes`).
pub fn add_within(bytes: &mut Vec<u8>, element: &[u8], max_bytes: usize) -> Result<bool, HllError> {
    let (index, value) = header::register_for(element);
    raise_within(bytes, index, value, max_bytes)
}

/// Raises register `index` to `value`, turning the string dense when sparse cannot hold it.
#[cfg(test)]
pub fn raise(bytes: &mut Vec<u8>, index: usize, value: u8) -> Result<bool, HllError> {
    raise_within(bytes, index, value, SPARSE_MAX_BYTES)
}

/// [`raise`], turning dense past `max_bytes` of sparse string.
pub fn raise_within(
    bytes: &mut Vec<u8>,
    index: usize,
    value: u8,
    max_bytes: usize,
) -> Result<bool, HllError> {
    match header::check(bytes)? {
        Encoding::Dense => Ok(dense::raise(&mut bytes[HEADER_LEN..], index, value)),
        Encoding::Sparse => match sparse::raise(bytes, index, value, max_bytes)? {
            sparse::Raised::Unchanged => Ok(false),
            sparse::Raised::Updated => Ok(true),
            sparse::Raised::NeedsDense => {
                to_dense(bytes)?;
                Ok(dense::raise(&mut bytes[HEADER_LEN..], index, value))
            }
        },
    }
}

/// Rewrites a sparse string as dense, keeping the rest of the header; whether it was sparse.
pub fn to_dense(bytes: &mut Vec<u8>) -> Result<bool, HllError> {
    if header::check(bytes)? == Encoding::Dense {
        return Ok(false);
    }
    let mut out = vec![0u8; DENSE_LEN];
    out[..HEADER_LEN].copy_from_slice(&bytes[..HEADER_LEN]);
    header::set_encoding(&mut out, Encoding::Dense);
    let registers = &mut out[HEADER_LEN..];
    sparse::for_each_set(&bytes[HEADER_LEN..], |index, value| {
        dense::set(registers, index, value)
    })?;
    *bytes = out;
    Ok(true)
}

/// Raises `max[i]` to the string's register i, for every register.
pub fn merge_into(bytes: &[u8], max: &mut [u8; REGISTERS]) -> Result<(), HllError> {
    match header::check(bytes)? {
        Encoding::Dense => {
            dense::merge_into(&bytes[HEADER_LEN..], max);
            Ok(())
        }
        Encoding::Sparse => sparse::merge_into(&bytes[HEADER_LEN..], max),
    }
}

/// The estimated cardinality of the string's registers (ignoring the cache).
pub fn count(bytes: &[u8]) -> Result<u64, HllError> {
    let counts = match header::check(bytes)? {
        Encoding::Dense => dense::histogram(&bytes[HEADER_LEN..]),
        Encoding::Sparse => sparse::histogram(&bytes[HEADER_LEN..])?,
    };
    Ok(estimate::cardinality(&counts))
}

/// The estimated cardinality of registers held one per byte (a merge's result).
pub fn count_registers(registers: &[u8; REGISTERS]) -> u64 {
    let mut counts = [0u32; 64];
    for &value in registers {
        counts[usize::from(value & 63)] += 1;
    }
    estimate::cardinality(&counts)
}

/// Every register's value, from either encoding.
pub fn registers(bytes: &[u8]) -> Result<Box<[u8; REGISTERS]>, HllError> {
    let mut all = Box::new([0u8; REGISTERS]);
    merge_into(bytes, &mut all)?;
    Ok(all)
}
