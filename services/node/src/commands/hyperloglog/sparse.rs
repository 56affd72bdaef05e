//! The sparse encoding: runs of registers as opcodes, as Redis writes them.
//!
//! - ZERO  `00xxxxxx`: 1 to 64 registers at 0.
//! - XZERO `01xxxxxx yyyyyyyy`: 1 to 16384 registers at 0.
//! - VAL   `1vvvvvxx`: 1 to 4 registers at a value of 1 to 32.
//!
//! Updates follow Redis's steps exactly (split the run, splice, merge neighbouring VALs), so
//! the same additions give the same bytes as on redis-server.

#[cfg(doc)]
use super::header::SPARSE_MAX_BYTES;
use super::header::{HllError, HEADER_LEN, REGISTERS};

const ZERO_MAX: usize = 64;
const XZERO_MAX: usize = 16384;
pub const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;

/// One opcode: a run of `len` registers holding `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub value: u8,
    pub len: usize,
    /// The opcode's size in bytes: 2 for XZERO, else 1.
    pub width: usize,
}

/// The opcode starting at `at`. A truncated XZERO reads its missing byte as 0, as Redis reads
/// the string's terminator.
fn run_at(ops: &[u8], at: usize) -> Run {
    let op = ops[at];
    match op >> 6 {
        0b00 => Run {
            value: 0,
            len: usize::from(op & 0x3f) + 1,
            width: 1,
        },
        0b01 => {
            let low = usize::from(ops.get(at + 1).copied().unwrap_or(0));
            let len = ((usize::from(op & 0x3f) << 8) | low) + 1;
            Run {
                value: 0,
                len,
                width: 2,
            }
        }
        _ => Run {
            value: ((op >> 2) & 0x1f) + 1,
            len: usize::from(op & 0x3) + 1,
            width: 1,
        },
    }
}

/// The opcodes of `ops` (the bytes after the header), in order.
pub fn runs(ops: &[u8]) -> impl Iterator<Item = Run> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let run = (at < ops.len()).then(|| run_at(ops, at))?;
        at += run.width;
        Some(run)
    })
}

fn zero_op(len: usize, out: &mut Vec<u8>) {
    if len > ZERO_MAX {
        let code = len - 1;
        out.extend([0x40 | (code >> 8) as u8, (code & 0xff) as u8]);
    } else {
        out.push((len - 1) as u8);
    }
}

fn val_op(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len - 1) as u8
}

/// The sparse string of an empty HyperLogLog, after `header`.
pub fn empty(header: [u8; HEADER_LEN]) -> Vec<u8> {
    let mut bytes = header.to_vec();
    let mut left = REGISTERS;
    while left > 0 {
        let len = left.min(XZERO_MAX);
        let code = len - 1;
        bytes.extend([0x40 | (code >> 8) as u8, (code & 0xff) as u8]);
        left -= len;
    }
    bytes
}

/// What raising a register of a sparse string did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    Unchanged,
    Updated,
    /// The value does not fit the sparse encoding, or the string would outgrow
    /// `max_bytes` (`hll-sparse-max-bytes`, [`SPARSE_MAX_BYTES`] by default): the caller
    /// must turn it dense and set the register there.
    NeedsDense,
}

/// Raises register `index` to `value` in the whole sparse string `bytes` (header included).
pub fn raise(
    bytes: &mut Vec<u8>,
    index: usize,
    value: u8,
    max_bytes: usize,
) -> Result<Raised, HllError> {
    if value > VAL_MAX_VALUE {
        return Ok(Raised::NeedsDense);
    }
    let (at, first, prev, run) = locate(&bytes[HEADER_LEN..], index)?;
    if run.value >= value {
        return Ok(Raised::Unchanged);
    }
    // A one-register ZERO or VAL is rewritten where it is; anything else is split.
    if run.len == 1 && run.width == 1 {
        bytes[HEADER_LEN + at] = val_op(value, 1);
    } else {
        let seq = split(run, first, index, value);
        let grows = seq.len() > run.width;
        if grows && bytes.len() + seq.len() - run.width > max_bytes {
            return Ok(Raised::NeedsDense);
        }
        let start = HEADER_LEN + at;
        bytes.splice(start..start + run.width, seq);
    }
    merge_neighbours(bytes, HEADER_LEN + prev.unwrap_or(0));
    Ok(Raised::Updated)
}

/// The opcode covering register `index`: its position, its first register, the position of
/// the opcode before it, and the run itself.
fn locate(ops: &[u8], index: usize) -> Result<(usize, usize, Option<usize>, Run), HllError> {
    let (mut at, mut first, mut prev) = (0, 0, None);
    while at < ops.len() {
        let run = run_at(ops, at);
        if index < first + run.len {
            if at + run.width > ops.len() {
                return Err(HllError::Corrupted);
            }
            return Ok((at, first, prev, run));
        }
        prev = Some(at);
        at += run.width;
        first += run.len;
    }
    Err(HllError::Corrupted)
}

/// The opcodes that replace `run` once register `index` (inside it) holds `value`.
fn split(run: Run, first: usize, index: usize, value: u8) -> Vec<u8> {
    let last = first + run.len - 1;
    let mut seq = Vec::with_capacity(5);
    let side = |len: usize, seq: &mut Vec<u8>| match run.value {
        0 => zero_op(len, seq),
        old => seq.push(val_op(old, len)),
    };
    if index != first {
        side(index - first, &mut seq);
    }
    seq.push(val_op(value, 1));
    if index != last {
        side(last - index, &mut seq);
    }
    seq
}

/// Joins adjacent VALs of one value, scanning up to five opcodes from `from`, as Redis does.
fn merge_neighbours(bytes: &mut Vec<u8>, from: usize) {
    let mut at = from;
    for _ in 0..5 {
        if at >= bytes.len() {
            return;
        }
        let run = run_at(bytes, at);
        if run.value == 0 {
            at += run.width;
            continue;
        }
        let next =
            (at + 1 < bytes.len() && bytes[at + 1] & 0x80 != 0).then(|| run_at(bytes, at + 1));
        match next {
            Some(next) if next.value == run.value && run.len + next.len <= VAL_MAX_LEN => {
                bytes[at + 1] = val_op(run.value, run.len + next.len);
                bytes.remove(at);
            }
            _ => at += 1,
        }
    }
}

/// Every run, checked to cover exactly the 16384 registers; for the readers that need each
/// register (`visit` gets the first register and the run).
fn walk(ops: &[u8], mut visit: impl FnMut(usize, Run)) -> Result<(), HllError> {
    let mut index = 0;
    for run in runs(ops) {
        if run.value > 0 && index + run.len > REGISTERS {
            return Err(HllError::Corrupted);
        }
        visit(index, run);
        index += run.len;
    }
    if index != REGISTERS {
        return Err(HllError::Corrupted);
    }
    Ok(())
}

/// How many registers hold each value.
pub fn histogram(ops: &[u8]) -> Result<[u32; 64], HllError> {
    let mut counts = [0u32; 64];
    let mut total = 0usize;
    for run in runs(ops) {
        counts[usize::from(run.value)] += run.len as u32;
        total += run.len;
    }
    if total != REGISTERS {
        return Err(HllError::Corrupted);
    }
    Ok(counts)
}

/// Raises `max[i]` to register i's value, for every register.
pub fn merge_into(ops: &[u8], max: &mut [u8]) -> Result<(), HllError> {
    walk(ops, |first, run| {
        if run.value > 0 {
            for slot in &mut max[first..first + run.len] {
                *slot = (*slot).max(run.value);
            }
        }
    })
}

/// Calls `set(index, value)` for every register above 0.
pub fn for_each_set(ops: &[u8], mut set: impl FnMut(usize, u8)) -> Result<(), HllError> {
    walk(ops, |first, run| {
        if run.value > 0 {
            (first..first + run.len).for_each(|index| set(index, run.value));
        }
    })
}

/// PFDEBUG DECODE's text: `z:len` for ZERO, `Z:len` for XZERO, `v:value,len` for VAL.
pub fn describe(ops: &[u8]) -> String {
    let words: Vec<String> = runs(ops)
        .map(|run| match (run.value, run.width) {
            (0, 1) => format!("z:{}", run.len),
            (0, _) => format!("Z:{}", run.len),
            (value, _) => format!("v:{value},{}", run.len),
        })
        .collect();
    words.join(" ")
}
