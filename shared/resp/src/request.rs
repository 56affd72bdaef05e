//! The server side of RESP: a client's bytes in, argument vectors out.

use bytes::{Buf, Bytes, BytesMut};

use crate::line::{find_crlf, parse_i64};
use crate::{Limits, ProtocolError};

/// Decodes client requests, multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or inline
/// (`GET k\r\n`, as telnet and redis-cli send), keeping its place across reads so that a
/// large request arriving in many pieces is scanned once.
#[derive(Debug, Default)]
pub struct RequestDecoder {
    limits: Limits,
    partial: Option<Partial>,
}

/// A multibulk whose header has been read but not all of its elements.
#[derive(Debug)]
struct Partial {
    remaining: usize,
    args: Vec<Bytes>,
    /// The length of the bulk whose header was consumed but whose data has not arrived.
    pending_bulk: Option<usize>,
}

impl RequestDecoder {
    pub fn new(limits: Limits) -> Self {
        RequestDecoder {
            limits,
            partial: None,
        }
    }

    /// Takes one complete request off the front of `buf`. `Ok(None)` means more bytes are
    /// needed; what was consumed so far is remembered. After an error the connection must be
    /// closed: the stream can no longer be trusted.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if let Some(partial) = self.partial.as_mut() {
                let done = fill_multibulk(partial, buf, &self.limits)?;
                if !done {
                    return Ok(None);
                }
                return Ok(self.partial.take().map(|p| p.args));
            }
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            let started = if first == b'*' {
                self.start_multibulk(buf)?
            } else {
                match inline_request(buf, &self.limits)? {
                    Some(args) if args.is_empty() => continue,
                    Some(args) => return Ok(Some(args)),
                    None => return Ok(None),
                }
            };
            if !started {
                return Ok(None);
            }
        }
    }

    /// Reads a multibulk header. Returns false when the header is not complete yet.
    fn start_multibulk(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        let Some(end) = find_crlf(buf) else {
            if buf.len() > self.limits.max_inline_len {
                return Err(ProtocolError::MultibulkHeaderTooBig);
            }
            return Ok(false);
        };
        // Refused above while incomplete, so refused complete too: the same error whatever the
        // reads were.
        if end >= self.limits.max_inline_len {
            return Err(ProtocolError::MultibulkHeaderTooBig);
        }
        let count = parse_i64(&buf[1..end]).ok_or(ProtocolError::InvalidMultibulkLength)?;
        if count > self.limits.max_multibulk_len as i64 {
            return Err(ProtocolError::InvalidMultibulkLength);
        }
        buf.advance(end + 2);
        // Redis skips empty and null multibulks silently.
        if count > 0 {
            let remaining = count as usize;
            self.partial = Some(Partial {
                remaining,
                args: Vec::with_capacity(remaining.min(Limits::PREALLOCATE_MAX)),
                pending_bulk: None,
            });
        }
        Ok(true)
    }
}

/// Reads as many elements of `partial` as `buf` holds; true once all are in.
fn fill_multibulk(
    partial: &mut Partial,
    buf: &mut BytesMut,
    limits: &Limits,
) -> Result<bool, ProtocolError> {
    while partial.remaining > 0 {
        let len = match partial.pending_bulk {
            Some(len) => len,
            None => match bulk_header(buf, limits)? {
                Some(len) => len,
                None => return Ok(false),
            },
        };
        if buf.len() < len + 2 {
            partial.pending_bulk = Some(len);
            if buf.capacity() < len + 2 {
                // Room for the argument at once, as Redis does for big arguments, but only up
                // to a bound: a client that announces 500 MB and sends nothing must not hold
                // (and count against maxmemory) 500 MB; past the bound the buffer grows as
                // bytes actually arrive.
                let wanted = (len + 2 - buf.len()).min(Limits::PREALLOCATE_BULK_MAX);
                buf.reserve(wanted);
            }
            return Ok(false);
        }
        partial.pending_bulk = None;
        partial.args.push(buf.split_to(len).freeze());
        // Like Redis, the two bytes after the data are skipped without being inspected.
        buf.advance(2);
        partial.remaining -= 1;
    }
    Ok(true)
}

/// Reads a `$<len>\r\n` header; `None` until it is complete.
fn bulk_header(buf: &mut BytesMut, limits: &Limits) -> Result<Option<usize>, ProtocolError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first != b'$' {
        return Err(ProtocolError::ExpectedBulk(first));
    }
    let Some(end) = find_crlf(buf) else {
        if buf.len() > limits.max_inline_len {
            return Err(ProtocolError::BulkHeaderTooBig);
        }
        return Ok(None);
    };
    // Refused above while incomplete, so refused complete too.
    if end >= limits.max_inline_len {
        return Err(ProtocolError::BulkHeaderTooBig);
    }
    let len = parse_i64(&buf[1..end]).ok_or(ProtocolError::InvalidBulkLength)?;
    if len < 0 || len as u64 > limits.max_bulk_len as u64 {
        return Err(ProtocolError::InvalidBulkLength);
    }
    buf.advance(end + 2);
    Ok(Some(len as usize))
}

/// Reads one inline request (a line of space-separated, optionally quoted words).
fn inline_request(
    buf: &mut BytesMut,
    limits: &Limits,
) -> Result<Option<Vec<Bytes>>, ProtocolError> {
    let Some(newline) = memchr::memchr(b'\n', buf) else {
        if buf.len() > limits.max_inline_len {
            return Err(ProtocolError::InlineTooBig);
        }
        return Ok(None);
    };
    if newline > limits.max_inline_len {
        return Err(ProtocolError::InlineTooBig);
    }
    let line = buf.split_to(newline + 1);
    let text = line[..newline]
        .strip_suffix(b"\r")
        .unwrap_or(&line[..newline]);
    split_args(text).map(Some)
}

/// Splits a line the way Redis's `sdssplitargs` does: words separated by spaces, `"double
/// quotes"` with `\n \r \t \b \a \\ \" \xHH` escapes, `'single quotes'` with only `\'`, and a
/// closing quote that must be followed by a space or the end of the line.
pub(crate) fn split_args(mut line: &[u8]) -> Result<Vec<Bytes>, ProtocolError> {
    let mut args = Vec::new();
    loop {
        line = trim_start(line);
        if line.is_empty() {
            return Ok(args);
        }
        let (word, rest) = match line[0] {
            b'"' => double_quoted(&line[1..])?,
            b'\'' => single_quoted(&line[1..])?,
            _ => {
                let end = line
                    .iter()
                    .position(|b| b.is_ascii_whitespace())
                    .unwrap_or(line.len());
                (line[..end].to_vec(), &line[end..])
            }
        };
        args.push(Bytes::from(word));
        line = rest;
    }
}

fn trim_start(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    &line[start..]
}

fn double_quoted(line: &[u8]) -> Result<(Vec<u8>, &[u8]), ProtocolError> {
    let mut word = Vec::new();
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\\' if i + 3 < line.len() && line[i + 1] == b'x' => {
                if let Some(byte) = hex_byte(line[i + 2], line[i + 3]) {
                    word.push(byte);
                    i += 4;
                    continue;
                }
                word.push(b'x');
                i += 2;
            }
            b'\\' if i + 1 < line.len() => {
                word.push(match line[i + 1] {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                i += 2;
            }
            b'"' => return close_quote(word, &line[i + 1..]),
            byte => {
                word.push(byte);
                i += 1;
            }
        }
    }
    Err(ProtocolError::UnbalancedQuotes)
}

fn single_quoted(line: &[u8]) -> Result<(Vec<u8>, &[u8]), ProtocolError> {
    let mut word = Vec::new();
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\\' if line.get(i + 1) == Some(&b'\'') => {
                word.push(b'\'');
                i += 2;
            }
            b'\'' => return close_quote(word, &line[i + 1..]),
            byte => {
                word.push(byte);
                i += 1;
            }
        }
    }
    Err(ProtocolError::UnbalancedQuotes)
}

fn close_quote(word: Vec<u8>, rest: &[u8]) -> Result<(Vec<u8>, &[u8]), ProtocolError> {
    match rest.first() {
        Some(b) if !b.is_ascii_whitespace() => Err(ProtocolError::UnbalancedQuotes),
        _ => Ok((word, rest)),
    }
}

fn hex_byte(high: u8, low: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut decoder = RequestDecoder::default();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(args) = decoder.decode(&mut buf)? {
            out.push(args);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline_requests_decode() {
        let got = decode_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nSET a \"b c\"\r\n").unwrap();
        assert_eq!(got, vec![vec!["GET", "k"], vec!["SET", "a", "b c"]]);
    }

    #[test]
    fn a_request_split_at_every_byte_decodes_the_same() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nPING\r\n";
        for split in 0..input.len() {
            let mut decoder = RequestDecoder::default();
            let mut buf = BytesMut::from(&input[..split]);
            let mut out = Vec::new();
            while let Some(args) = decoder.decode(&mut buf).unwrap() {
                out.push(args);
            }
            buf.extend_from_slice(&input[split..]);
            while let Some(args) = decoder.decode(&mut buf).unwrap() {
                out.push(args);
            }
            assert_eq!(
                out,
                vec![vec!["SET", "key", "value"], vec!["PING"]],
                "split {split}"
            );
        }
    }

    #[test]
    fn empty_multibulks_and_blank_lines_are_skipped() {
        assert_eq!(
            decode_all(b"*0\r\n*-1\r\n\r\nPING\n").unwrap(),
            vec![vec!["PING"]]
        );
    }

    #[test]
    fn malformed_input_is_refused_with_redis_messages() {
        let err = |input: &[u8]| decode_all(input).unwrap_err().to_string();
        assert_eq!(err(b"*x\r\n"), "invalid multibulk length");
        assert_eq!(err(b"*1\r\n$-5\r\n"), "invalid bulk length");
        assert_eq!(err(b"*1\r\n+OK\r\n"), "expected '$', got '+'");
        assert_eq!(err(b"SET \"a\r\n"), "unbalanced quotes in request");
        assert_eq!(err(b"SET \"a\"b\r\n"), "unbalanced quotes in request");
    }

    #[test]
    fn oversized_lengths_are_refused_before_allocation() {
        let limits = Limits {
            max_bulk_len: 10,
            max_multibulk_len: 2,
            max_inline_len: 16,
        };
        let mut decoder = RequestDecoder::new(limits);
        let mut buf = BytesMut::from(&b"*1\r\n$11\r\n"[..]);
        assert_eq!(
            decoder.decode(&mut buf),
            Err(ProtocolError::InvalidBulkLength)
        );
        let mut decoder = RequestDecoder::new(limits);
        let mut buf = BytesMut::from(&b"*3\r\n"[..]);
        assert_eq!(
            decoder.decode(&mut buf),
            Err(ProtocolError::InvalidMultibulkLength)
        );
        let mut decoder = RequestDecoder::new(limits);
        let mut buf = BytesMut::from(&[b'a'; 17][..]);
        assert_eq!(decoder.decode(&mut buf), Err(ProtocolError::InlineTooBig));
    }

    /// The defect fuzzing found in `Frame::parse`, here too: a multibulk or bulk header line of
    /// `max_inline_len` bytes or more was "too big" while its CRLF had not arrived but an
    /// "invalid length" once it had, so the error depended on how the request was split.
    #[test]
    fn an_overlong_header_fails_the_same_however_it_arrives() {
        let limits = Limits {
            max_inline_len: 16,
            ..Limits::default()
        };
        let digits = "1".repeat(20);
        let cases = [
            (
                format!("*{digits}\r\n"),
                ProtocolError::MultibulkHeaderTooBig,
            ),
            (
                format!("*1\r\n${digits}\r\n"),
                ProtocolError::BulkHeaderTooBig,
            ),
        ];
        for (input, error) in cases {
            let input = input.as_bytes();
            for split in 0..=input.len() {
                let mut decoder = RequestDecoder::new(limits);
                let mut buf = BytesMut::from(&input[..split]);
                let got = decoder.decode(&mut buf).and_then(|first| {
                    assert_eq!(first, None);
                    buf.extend_from_slice(&input[split..]);
                    decoder.decode(&mut buf)
                });
                assert_eq!(got, Err(error.clone()), "split {split}");
            }
        }
    }

    #[test]
    fn quoted_words_unescape() {
        let args = split_args(br#"set "a\x41\n" 'it\'s' plain"#).unwrap();
        assert_eq!(args, vec!["set", "aA\n", "it's", "plain"]);
    }
}
