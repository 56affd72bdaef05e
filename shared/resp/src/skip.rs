//! Finding where one reply ends without building it: a proxy forwards replies as the bytes
//! it received, so it only needs their lengths.

use crate::line::{find_crlf, parse_i64};
use crate::{Limits, ProtocolError};

/// The length of the first complete frame in `buf`, or `Ok(None)` if it is not all there.
/// It accepts exactly what [`crate::Frame::parse`] accepts, with the same errors.
pub fn frame_len(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ProtocolError> {
    let mut pos = 0;
    // Frames still to skip at each open aggregate level; starts with the one asked for.
    let mut pending: Vec<usize> = Vec::new();
    let mut remaining = 1usize;
    loop {
        while remaining == 0 {
            match pending.pop() {
                Some(outer) => remaining = outer,
                None => return Ok(Some(pos)),
            }
        }
        let Some(&kind) = buf.get(pos) else {
            return Ok(None);
        };
        let rest = &buf[pos + 1..];
        let Some(end) = find_crlf(rest) else {
            if rest.len() > limits.max_inline_len {
                return Err(ProtocolError::BulkHeaderTooBig);
            }
            return Ok(None);
        };
        if end >= limits.max_inline_len {
            return Err(ProtocolError::BulkHeaderTooBig);
        }
        let line = &rest[..end];
        pos += 1 + end + 2;
        remaining -= 1;
        match kind {
            b'+' | b'-' | b'(' => {}
            b':' => {
                parse_i64(line).ok_or(ProtocolError::InvalidInteger)?;
            }
            b',' => check_double(line)?,
            b'#' if line == b"t" || line == b"f" => {}
            b'#' => return Err(ProtocolError::InvalidBoolean),
            b'_' if line.is_empty() => {}
            b'$' | b'*' if line == b"-1" => {}
            b'$' | b'!' | b'=' => {
                let len = parse_i64(line).ok_or(ProtocolError::InvalidBulkLength)?;
                if len < 0 || len as u64 > limits.max_bulk_len as u64 {
                    return Err(ProtocolError::InvalidBulkLength);
                }
                let len = len as usize;
                if buf.len() < pos + len + 2 {
                    return Ok(None);
                }
                if &buf[pos + len..pos + len + 2] != b"\r\n" {
                    return Err(ProtocolError::MissingCrlf);
                }
                if kind == b'=' && (len < 4 || buf[pos + 3] != b':') {
                    return Err(ProtocolError::InvalidBulkLength);
                }
                pos += len + 2;
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let count = parse_i64(line).ok_or(ProtocolError::InvalidMultibulkLength)?;
                if count < 0 || count as u64 > limits.max_multibulk_len as u64 {
                    return Err(ProtocolError::InvalidMultibulkLength);
                }
                let count = count as usize;
                let items = if kind == b'%' || kind == b'|' {
                    count.saturating_mul(2)
                } else {
                    count
                };
                if pending.len() >= Limits::MAX_DEPTH {
                    return Err(ProtocolError::TooDeep);
                }
                pending.push(remaining);
                remaining = items;
            }
            other => return Err(ProtocolError::InvalidFrameType(other)),
        }
    }
}

fn check_double(line: &[u8]) -> Result<(), ProtocolError> {
    let text = std::str::from_utf8(line).map_err(|_| ProtocolError::InvalidDouble)?;
    match text {
        "inf" | "+inf" | "-inf" | "nan" => Ok(()),
        _ => text
            .parse::<f64>()
            .map(|_| ())
            .map_err(|_| ProtocolError::InvalidDouble),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;

    fn len(input: &[u8]) -> Result<Option<usize>, ProtocolError> {
        frame_len(input, &Limits::default())
    }

    #[test]
    fn lengths_of_whole_frames() {
        assert_eq!(len(b"+OK\r\n"), Ok(Some(5)));
        assert_eq!(len(b"$3\r\nfoo\r\n+next\r\n"), Ok(Some(9)));
        assert_eq!(len(b"$-1\r\n"), Ok(Some(5)));
        assert_eq!(len(b"*2\r\n$1\r\na\r\n:5\r\n"), Ok(Some(15)));
        assert_eq!(len(b"*0\r\n"), Ok(Some(4)));
        assert_eq!(len(b"%1\r\n+k\r\n*1\r\n_\r\n"), Ok(Some(15)));
        assert_eq!(len(b"*2\r\n*1\r\n:1\r\n*0\r\n"), Ok(Some(16)));
    }

    #[test]
    fn partial_frames_need_more() {
        for whole in [
            &b"$3\r\nfoo\r\n"[..],
            b"*2\r\n$1\r\na\r\n:5\r\n",
            b"+OK\r\n",
        ] {
            for cut in 0..whole.len() {
                assert_eq!(len(&whole[..cut]), Ok(None), "cut at {cut} of {whole:?}");
            }
        }
    }

    #[test]
    fn agrees_with_the_parser_on_errors_and_lengths() {
        let cases: [&[u8]; 10] = [
            b"?x\r\n",
            b":abc\r\n",
            b"$3\r\nfooXX",
            b"*-2\r\n",
            b"#x\r\n",
            b",1.5\r\n",
            b"=8\r\ntxt:abcd\r\n",
            b"=2\r\nab\r\n",
            b"~2\r\n+a\r\n+b\r\n",
            b">1\r\n|0\r\n",
        ];
        for case in cases {
            let parsed = Frame::parse(case, &Limits::default()).map(|o| o.map(|(_, n)| n));
            assert_eq!(len(case), parsed, "{:?}", String::from_utf8_lossy(case));
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = b"*1\r\n".repeat(Limits::MAX_DEPTH + 2);
        assert_eq!(len(&deep), Err(ProtocolError::TooDeep));
    }
}
