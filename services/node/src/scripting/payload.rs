//! FUNCTION DUMP's payload, byte for byte as Redis 7.0 writes it, so dumps move between
//! rg-node and redis-server: per library the RDB function opcode (245) and its code as an
//! RDB string, then the RDB version (2 bytes, little-endian) and a CRC64 (Jones, as Redis
//! uses) of everything before it. Pure.

use crc::{Crc, CRC_64_REDIS};

const FUNCTION_OPCODE: u8 = 245;
/// The RDB version Redis 7.0 writes.
const RDB_VERSION: u16 = 10;
const CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

pub fn dump<'a>(codes: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(FUNCTION_OPCODE);
        write_length(&mut out, code.len());
        out.extend_from_slice(code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let checksum = CRC64.checksum(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// The libraries' code in a payload, or Redis's error for one that is not a valid dump.
pub fn restore(payload: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    const BAD: &str = "DUMP payload version or checksum are wrong";
    if payload.len() < 10 {
        return Err(BAD);
    }
    let (body, checksum) = payload.split_at(payload.len() - 8);
    let checksum = u64::from_le_bytes(checksum.try_into().map_err(|_| BAD)?);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version > RDB_VERSION || CRC64.checksum(body) != checksum {
        return Err(BAD);
    }
    let mut reader = Reader {
        bytes: &body[..body.len() - 2],
        pos: 0,
    };
    let mut codes = Vec::new();
    const CORRUPT: &str = "given payload is not a valid function dump";
    while reader.pos < reader.bytes.len() {
        if reader.byte().ok_or(CORRUPT)? != FUNCTION_OPCODE {
            return Err(CORRUPT);
        }
        codes.push(reader.string().ok_or(CORRUPT)?);
    }
    Ok(codes)
}

fn write_length(out: &mut Vec<u8>, len: usize) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if len <= u32::MAX as usize {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    /// An RDB length, or the kind of a specially encoded string (`Err`).
    fn length(&mut self) -> Option<Result<usize, u8>> {
        let first = self.byte()?;
        Some(Ok(match first >> 6 {
            0 => usize::from(first & 0x3f),
            1 => (usize::from(first & 0x3f) << 8) | usize::from(self.byte()?),
            2 if first == 0x80 => u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize,
            2 if first == 0x81 => {
                usize::try_from(u64::from_be_bytes(self.take(8)?.try_into().ok()?)).ok()?
            }
            3 => return Some(Err(first & 0x3f)),
            _ => return None,
        }))
    }

    /// An RDB string: raw, an integer written as one, or LZF-compressed (as Redis writes
    /// code over 20 bytes).
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.length()? {
            Ok(len) => Some(self.take(len)?.to_vec()),
            Err(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Err(1) => Some(
                i16::from_le_bytes(self.take(2)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Err(2) => Some(
                i32::from_le_bytes(self.take(4)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Err(3) => {
                let compressed = self.length()?.ok()?;
                let original = self.length()?.ok()?;
                let input = self.take(compressed)?;
                lzf_decompress(input, original)
            }
            Err(_) => None,
        }
    }
}

/// LZF decompression into exactly `expected` bytes; None for input that is not LZF.
fn lzf_decompress(input: &[u8], expected: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(expected.min(input.len().saturating_mul(64)));
    let mut i = 0;
    while i < input.len() {
        let control = usize::from(input[i]);
        i += 1;
        if control < 32 {
            let run = control + 1;
            out.extend_from_slice(input.get(i..i + run)?);
            i += run;
        } else {
            let mut len = control >> 5;
            if len == 7 {
                len += usize::from(*input.get(i)?);
                i += 1;
            }
            let back = ((control & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let byte = out[start + k];
                out.push(byte);
            }
        }
        if out.len() > expected {
            return None;
        }
    }
    (out.len() == expected).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_restores_to_the_same_code() {
        let codes: [&[u8]; 2] = [b"#!lua name=a\nx", &[b'y'; 20_000]];
        let payload = dump(codes);
        assert_eq!(restore(&payload).unwrap(), codes.map(|c| c.to_vec()));
        let mut corrupt = payload.clone();
        corrupt[3] ^= 1;
        assert_eq!(
            restore(&corrupt),
            Err("DUMP payload version or checksum are wrong")
        );
        assert!(restore(b"garbage").is_err());
    }

    #[test]
    fn lzf_as_redis_compresses() {
        // "aaaaaaaaaa": one literal, then a back reference of length 9 at distance 1.
        let input = [0x00, b'a', 0xe0, 0x00, 0x00];
        assert_eq!(lzf_decompress(&input, 10).unwrap(), b"aaaaaaaaaa");
        assert_eq!(lzf_decompress(&[0x05, b'a'], 6), None, "truncated");
        assert_eq!(
            lzf_decompress(&[0x20, 0x05], 10),
            None,
            "reference before the start"
        );
    }
}
