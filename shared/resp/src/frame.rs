//! Any RESP2/RESP3 value, parsed from and encoded to bytes; the client side of the protocol.

use bytes::{BufMut, Bytes, BytesMut};

use crate::encode;
use crate::line::{find_crlf, parse_i64};
use crate::{Limits, ProtocolError};

/// One RESP value. The three nulls are kept apart so that encoding gives back the same bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Simple(Bytes),
    Error(Bytes),
    Integer(i64),
    Bulk(Bytes),
    /// `$-1`, the RESP2 null bulk string.
    NullBulk,
    /// `*-1`, the RESP2 null array.
    NullArray,
    Array(Vec<Frame>),
    /// `_`, the RESP3 null.
    Null,
    Double(f64),
    Boolean(bool),
    BigNumber(Bytes),
    BulkError(Bytes),
    Verbatim {
        format: [u8; 3],
        text: Bytes,
    },
    Map(Vec<(Frame, Frame)>),
    Set(Vec<Frame>),
    Push(Vec<Frame>),
    Attribute(Vec<(Frame, Frame)>),
}

impl Frame {
    /// Parses one frame from the front of `buf`: `Ok(Some((frame, consumed)))`, or `Ok(None)`
    /// when `buf` holds only part of a frame.
    pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<(Frame, usize)>, ProtocolError> {
        let mut parser = Parser {
            buf,
            pos: 0,
            limits,
        };
        match parser.frame(0)? {
            Some(frame) => Ok(Some((frame, parser.pos))),
            None => Ok(None),
        }
    }

    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Frame::Simple(s) => encode::simple(out, s),
            Frame::Error(e) => encode::error(out, e),
            Frame::Integer(i) => encode::integer(out, *i),
            Frame::Bulk(b) => encode::bulk(out, b),
            Frame::NullBulk => out.put_slice(b"$-1\r\n"),
            Frame::NullArray => out.put_slice(b"*-1\r\n"),
            Frame::Null => out.put_slice(b"_\r\n"),
            Frame::Array(items) => encode_all(out, b'*', items),
            Frame::Set(items) => encode_all(out, b'~', items),
            Frame::Push(items) => encode_all(out, b'>', items),
            Frame::Map(pairs) => encode_pairs(out, b'%', pairs),
            Frame::Attribute(pairs) => encode_pairs(out, b'|', pairs),
            Frame::Double(d) => line(out, b',', encode::format_double(*d).as_bytes()),
            Frame::Boolean(b) => line(out, b'#', if *b { b"t" } else { b"f" }),
            Frame::BigNumber(n) => line(out, b'(', n),
            Frame::BulkError(e) => sized(out, b'!', e),
            Frame::Verbatim { format, text } => {
                encode::verbatim(out, format, text, encode::Protocol::Resp3)
            }
        }
    }
}

fn line(out: &mut BytesMut, kind: u8, body: &[u8]) {
    out.put_u8(kind);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn sized(out: &mut BytesMut, kind: u8, body: &[u8]) {
    line(out, kind, itoa::Buffer::new().format(body.len()).as_bytes());
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn encode_all(out: &mut BytesMut, kind: u8, items: &[Frame]) {
    line(
        out,
        kind,
        itoa::Buffer::new().format(items.len()).as_bytes(),
    );
    items.iter().for_each(|item| item.encode(out));
}

fn encode_pairs(out: &mut BytesMut, kind: u8, pairs: &[(Frame, Frame)]) {
    line(
        out,
        kind,
        itoa::Buffer::new().format(pairs.len()).as_bytes(),
    );
    for (key, value) in pairs {
        key.encode(out);
        value.encode(out);
    }
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
    limits: &'a Limits,
}

/// Shorthand for "stop here, more bytes are needed".
macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

impl<'a> Parser<'a> {
    fn frame(&mut self, depth: usize) -> Result<Option<Frame>, ProtocolError> {
        if depth > Limits::MAX_DEPTH {
            return Err(ProtocolError::TooDeep);
        }
        let kind = *need!(self.buf.get(self.pos));
        self.pos += 1;
        let line = need!(self.line()?);
        let frame = match kind {
            b'+' => Frame::Simple(Bytes::copy_from_slice(line)),
            b'-' => Frame::Error(Bytes::copy_from_slice(line)),
            b':' => Frame::Integer(parse_i64(line).ok_or(ProtocolError::InvalidInteger)?),
            b'(' => Frame::BigNumber(Bytes::copy_from_slice(line)),
            b',' => Frame::Double(parse_double(line)?),
            b'#' => Frame::Boolean(parse_bool(line)?),
            b'_' if line.is_empty() => Frame::Null,
            b'$' if line == b"-1" => Frame::NullBulk,
            b'*' if line == b"-1" => Frame::NullArray,
            b'$' => Frame::Bulk(need!(self.body(line)?)),
            b'!' => Frame::BulkError(need!(self.body(line)?)),
            b'=' => need!(self.verbatim(line)?),
            b'*' => Frame::Array(need!(self.items(line, depth)?)),
            b'~' => Frame::Set(need!(self.items(line, depth)?)),
            b'>' => Frame::Push(need!(self.items(line, depth)?)),
            b'%' => Frame::Map(need!(self.pairs(line, depth)?)),
            b'|' => Frame::Attribute(need!(self.pairs(line, depth)?)),
            other => return Err(ProtocolError::InvalidFrameType(other)),
        };
        Ok(Some(frame))
    }

    /// The rest of the current line, without its CRLF.
    fn line(&mut self) -> Result<Option<&'a [u8]>, ProtocolError> {
        let buf: &'a [u8] = self.buf;
        let rest = &buf[self.pos..];
        let Some(end) = find_crlf(rest) else {
            if rest.len() > self.limits.max_inline_len {
                return Err(ProtocolError::BulkHeaderTooBig);
            }
            return Ok(None);
        };
        // A line that could have been refused above, had its CRLF not arrived yet, is refused
        // now too, so that the outcome does not depend on how the bytes were split into reads.
        if end >= self.limits.max_inline_len {
            return Err(ProtocolError::BulkHeaderTooBig);
        }
        self.pos += end + 2;
        Ok(Some(&rest[..end]))
    }

    fn body(&mut self, header: &[u8]) -> Result<Option<Bytes>, ProtocolError> {
        let len = parse_i64(header).ok_or(ProtocolError::InvalidBulkLength)?;
        if len < 0 || len as u64 > self.limits.max_bulk_len as u64 {
            return Err(ProtocolError::InvalidBulkLength);
        }
        let len = len as usize;
        let rest = &self.buf[self.pos..];
        if rest.len() < len + 2 {
            return Ok(None);
        }
        if &rest[len..len + 2] != b"\r\n" {
            return Err(ProtocolError::MissingCrlf);
        }
        self.pos += len + 2;
        Ok(Some(Bytes::copy_from_slice(&rest[..len])))
    }

    fn verbatim(&mut self, header: &[u8]) -> Result<Option<Frame>, ProtocolError> {
        let body = need!(self.body(header)?);
        if body.len() < 4 || body[3] != b':' {
            return Err(ProtocolError::InvalidBulkLength);
        }
        let format = [body[0], body[1], body[2]];
        Ok(Some(Frame::Verbatim {
            format,
            text: body.slice(4..),
        }))
    }

    fn count(&self, header: &[u8]) -> Result<usize, ProtocolError> {
        let count = parse_i64(header).ok_or(ProtocolError::InvalidMultibulkLength)?;
        if count < 0 || count as u64 > self.limits.max_multibulk_len as u64 {
            return Err(ProtocolError::InvalidMultibulkLength);
        }
        Ok(count as usize)
    }

    fn items(&mut self, header: &[u8], depth: usize) -> Result<Option<Vec<Frame>>, ProtocolError> {
        let count = self.count(header)?;
        let mut items = Vec::with_capacity(count.min(Limits::PREALLOCATE_MAX));
        for _ in 0..count {
            items.push(need!(self.frame(depth + 1)?));
        }
        Ok(Some(items))
    }

    fn pairs(
        &mut self,
        header: &[u8],
        depth: usize,
    ) -> Result<Option<Vec<(Frame, Frame)>>, ProtocolError> {
        let count = self.count(header)?;
        let mut pairs = Vec::with_capacity(count.min(Limits::PREALLOCATE_MAX));
        for _ in 0..count {
            let key = need!(self.frame(depth + 1)?);
            let value = need!(self.frame(depth + 1)?);
            pairs.push((key, value));
        }
        Ok(Some(pairs))
    }
}

fn parse_double(line: &[u8]) -> Result<f64, ProtocolError> {
    let text = std::str::from_utf8(line).map_err(|_| ProtocolError::InvalidDouble)?;
    match text {
        "inf" | "+inf" => Ok(f64::INFINITY),
        "-inf" => Ok(f64::NEG_INFINITY),
        "nan" => Ok(f64::NAN),
        _ => text.parse().map_err(|_| ProtocolError::InvalidDouble),
    }
}

fn parse_bool(line: &[u8]) -> Result<bool, ProtocolError> {
    match line {
        b"t" => Ok(true),
        b"f" => Ok(false),
        _ => Err(ProtocolError::InvalidBoolean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Result<Option<(Frame, usize)>, ProtocolError> {
        Frame::parse(input, &Limits::default())
    }

    #[test]
    fn resp3_frames_parse() {
        let input = b"%1\r\n+a\r\n~2\r\n,1.5\r\n#t\r\n";
        let (frame, used) = parse(input).unwrap().unwrap();
        assert_eq!(used, input.len());
        assert_eq!(
            frame,
            Frame::Map(vec![(
                Frame::Simple("a".into()),
                Frame::Set(vec![Frame::Double(1.5), Frame::Boolean(true)])
            )])
        );
    }

    #[test]
    fn partial_frames_ask_for_more() {
        let input = b"*2\r\n$3\r\nfoo\r\n:42\r\n";
        for end in 0..input.len() {
            assert_eq!(parse(&input[..end]).unwrap(), None, "prefix of {end}");
        }
        assert!(parse(input).unwrap().is_some());
    }

    #[test]
    fn hostile_nesting_is_refused() {
        let input = "*1\r\n".repeat(100);
        assert_eq!(parse(input.as_bytes()), Err(ProtocolError::TooDeep));
    }

    /// Found by fuzzing: a line of `max_inline_len` bytes or more was refused while its CRLF
    /// had not arrived, but accepted (or refused for another reason) once it had, so a reply
    /// parsed or not depending on how it was split into reads.
    #[test]
    fn an_overlong_line_is_refused_however_it_arrives() {
        let limits = Limits {
            max_inline_len: 16,
            ..Limits::default()
        };
        let ok = format!("+{}\r\n", "a".repeat(15));
        for input in [
            format!("+{}\r\n", "a".repeat(16)),
            format!("S{}\r\n", "a".repeat(20)),
        ] {
            let input = input.as_bytes();
            for end in 0..input.len() {
                let got = Frame::parse(&input[..end], &limits);
                assert!(
                    matches!(got, Ok(None) | Err(ProtocolError::BulkHeaderTooBig)),
                    "prefix {end}: {got:?}"
                );
            }
            assert_eq!(
                Frame::parse(input, &limits),
                Err(ProtocolError::BulkHeaderTooBig)
            );
        }
        for end in 0..ok.len() {
            assert_eq!(Frame::parse(&ok.as_bytes()[..end], &limits), Ok(None));
        }
        let (frame, _) = Frame::parse(ok.as_bytes(), &limits).unwrap().unwrap();
        assert_eq!(frame, Frame::Simple("a".repeat(15).into()));
    }
}
