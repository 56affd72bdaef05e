//! Finding where one reply ends without building it: a proxy forwards replies as the bytes
//! it received, so it only needs their lengths.

use crate::line::{find_crlf, parse_i64};
use crate::{Limits, ProtocolError};

/// The length of the first complete frame in `buf`, or `Ok(None)` if it is not all there.
/// It accepts exactly what [`crate::Frame::parse`] accepts, with the same errors.
pub fn frame_len(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ProtocolError> {
    FrameScanner::default().scan(buf, limits)
}

/// [`frame_len`] that keeps its place between calls, for a frame arriving in many reads:
/// each call looks only at the elements it has not yet passed, so a reply of any size costs
/// time linear in its length whatever the reads were.
#[derive(Debug, Default)]
pub struct FrameScanner {
    /// Bytes of whole elements passed so far.
    pos: usize,
    /// Elements still to pass at each open aggregate level.
    pending: Vec<usize>,
    /// Elements still to pass at the current level; meaningful once `started`.
    remaining: usize,
    started: bool,
}

impl FrameScanner {
    /// Scans on over `buf`, which must start where it started at the previous call and hold
    /// at least as many bytes. `Ok(Some(len))` once the frame is whole, after which the
    /// scanner starts afresh; after an error it starts afresh too.
    pub fn scan(&mut self, buf: &[u8], limits: &Limits) -> Result<Option<usize>, ProtocolError> {
        let outcome = self.advance(buf, limits);
        if !matches!(outcome, Ok(None)) {
            *self = FrameScanner::default();
        }
        outcome
    }

    fn advance(&mut self, buf: &[u8], limits: &Limits) -> Result<Option<usize>, ProtocolError> {
        if !self.started {
            self.started = true;
            self.remaining = 1;
        }
        loop {
            while self.remaining == 0 {
                match self.pending.pop() {
                    Some(outer) => self.remaining = outer,
                    None => return Ok(Some(self.pos)),
                }
            }
            let Some(next) = element(buf, self.pos, limits)? else {
                return Ok(None);
            };
            self.pos = next.end;
            self.remaining -= 1;
            if let Some(items) = next.items {
                if self.pending.len() >= Limits::MAX_DEPTH {
                    return Err(ProtocolError::TooDeep);
                }
                self.pending.push(self.remaining);
                self.remaining = items;
            }
        }
    }
}

/// One element's header (and body, for the sized kinds), starting at `start`.
struct Element {
    end: usize,
    /// An aggregate's element count.
    items: Option<usize>,
}

fn element(buf: &[u8], start: usize, limits: &Limits) -> Result<Option<Element>, ProtocolError> {
    let Some(&kind) = buf.get(start) else {
        return Ok(None);
    };
    let rest = &buf[start + 1..];
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
    let pos = start + 1 + end + 2;
    let whole = |end| Ok(Some(Element { end, items: None }));
    match kind {
        b'+' | b'-' | b'(' => whole(pos),
        b':' => {
            parse_i64(line).ok_or(ProtocolError::InvalidInteger)?;
            whole(pos)
        }
        b',' => {
            check_double(line)?;
            whole(pos)
        }
        b'#' if line == b"t" || line == b"f" => whole(pos),
        b'#' => Err(ProtocolError::InvalidBoolean),
        b'_' if line.is_empty() => whole(pos),
        b'$' | b'*' if line == b"-1" => whole(pos),
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
            whole(pos + len + 2)
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
            Ok(Some(Element {
                end: pos,
                items: Some(items),
            }))
        }
        other => Err(ProtocolError::InvalidFrameType(other)),
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
    fn a_scanner_fed_a_few_bytes_at_a_time_finds_the_same_end() {
        let mut reply = b"*3\r\n$5\r\nhello\r\n%1\r\n+k\r\n:7\r\n".to_vec();
        reply.extend_from_slice(format!("${}\r\n", 300_000).as_bytes());
        reply.extend(std::iter::repeat_n(b'x', 300_000));
        reply.extend_from_slice(b"\r\n+next\r\n");
        let whole = len(&reply).unwrap().unwrap();
        for step in [1, 7, 4096, 200_000] {
            let mut scanner = FrameScanner::default();
            let mut found = None;
            for end in (step..reply.len() + step).step_by(step) {
                let seen = &reply[..end.min(reply.len())];
                if let Some(length) = scanner.scan(seen, &Limits::default()).unwrap() {
                    found = Some((length, seen.len()));
                    break;
                }
            }
            let (length, seen) = found.expect("the frame ends");
            assert_eq!(length, whole, "step {step}");
            assert!(
                seen < whole + step,
                "found as soon as it was whole (step {step})"
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = b"*1\r\n".repeat(Limits::MAX_DEPTH + 2);
        assert_eq!(len(&deep), Err(ProtocolError::TooDeep));
    }
}
